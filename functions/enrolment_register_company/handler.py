"""Enrolment state machine task (`${RegisterCompanyFunctionArn}` in statemachines/enrolment.asl.json): `tasks.register_company`.

Errors propagate: their class name is the Step Functions error name (ASL Retry/Catch).
"""

from einvoice.enrolment import tasks


def lambda_handler(event, context):
    return tasks.register_company(event)
