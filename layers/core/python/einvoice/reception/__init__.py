"""Reception (the receiving platform, "PA-R"): every invoice addressed to one of our companies takes one
path, ``statemachines/reception.asl.json`` (Express): Receive (validate all layers, fail closed; 213 with
the rule ids; duplicate control when the company has the option, 213 DOUBLON; archive and seal; 202 Reçue;
203 Mise à disposition with the purchase-invoices option) then Answer (the statuses as CDAR to the issuing
platform through its Flow API, or on the issuer's record when it is one of ours).

Entry points: ``service.start_reception`` from the Flow API (another platform's invoice), the internal
delivery of the transmission (``transmission.reception.InternalReception``) and the OCR hand-off
(``invoicing.service.create_received_invoice``). Incoming statuses: ``statuses.record_incoming_status``.
"""
