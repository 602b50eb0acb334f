"""Enrolment state machine task (`${FinaliseFunctionArn}` in statemachines/enrolment.asl.json): `tasks.finalise`.

Errors propagate: their class name is the Step Functions error name (ASL Retry/Catch).
"""

from einvoice.enrolment import tasks


def lambda_handler(event, context):
    return tasks.finalise(event)
