"""Invoice engine core: EN 16931 model, computation, French checks, CII/UBL writers and parser.

Submodules are imported on demand so that importing the package stays cheap (lxml and
python-stdnum are only loaded by the functions that need them)::

    from einvoice.invoicing.model import Invoice          # pydantic v2, camelCase JSON aliases
    from einvoice.invoicing import calc, checks, cii, ubl, parse, convert

    inv = calc.compute(Invoice.model_validate(body))      # fills BT-131, BG-23, BG-22
    errors = checks.check(inv)                            # [ErrorDetail(rule="BR-FR-xx", ...)]
    checks.ensure_valid(inv)                              # raises InvalidInputError (422)
    checks.duplicate_key(inv)                             # "SIREN#number#year"
    xml = cii.to_cii(inv, profile="en16931")              # also basicwl, basic, extended, extended-ctc-fr
    xml = ubl.to_ubl(inv)                                 # Invoice, or CreditNote for 381/261/262/396/502/503
    inv = parse.parse_xml(xml)                            # CII (Factur-X/ZUGFeRD 2.x) or UBL, detected
    xml = convert.convert(xml_or_model_or_dict, to="ubl")  # through the model
"""
