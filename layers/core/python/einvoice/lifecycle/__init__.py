"""Invoice lifecycle ("cycle de vie", CDV): statuses of MDT-105 and the CDAR D22B messages carrying them.

* ``statuses``: the status catalogue (codes, French labels, phase 305 transmission / 23 processing,
  who may set each, mandatory reasons and allowed reason codes per BR-FR-CDV-CL-09, terminal
  statuses, which go to the PPF);
* ``transitions``: ``check_transition(history, request, actor)`` (XP Z12-014 Annexe B §1.2 sequencing),
  typed errors with rule ids; ``is_payable`` for the purchase-payment option;
* ``cdar``: the CDAR D22B message model; ``cdar_xml``: generator and hardened parser;
  ``builder``: domain status -> PA<->PA copy or PPF copy; ``cdar_validation``: XSD + BR-FR-CDV
  (artefacts of the ``pyfrctc`` package, saxonche through ``einvoice.validation``, fail closed);
* ``ports`` / ``memory``: the PPF queue port and its in-memory fake.

Nothing heavy is imported here (lxml and saxonche load on first use).
"""
