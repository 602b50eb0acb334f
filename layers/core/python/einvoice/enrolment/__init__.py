"""Enrolment: designate the platform in the directory, confirmed by an e-mailed one-time password.

* ``service``: API use cases (``start_enrolment``, ``confirm_otp``, ``resend_otp``,
  ``get_enrolment``, ``get_certificate``);
* ``tasks``: the Step Functions task functions (``statemachines/enrolment.asl.json``);
* ``otp``: code generation / salted hash / constant-time check and the limits;
* ``certificate``: the "Accord formel" PDF (Typst); sealing in ``einvoice.seal``, archive in
  ``einvoice.archive``.

Nothing heavy is imported here.
"""
