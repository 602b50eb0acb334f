"""Operator commands: ``einvoice admin create-partner|create-account|create-key|create-flow-client``.

They target the running local platform by default (``make run``, ``http://127.0.0.1:4566``) or,
with ``--aws`` / ``--profile`` and AWS credentials, the deployed stack (``--tenancy-table`` and
``--usage-plan-id`` from its outputs, or ``EINVOICE_TENANCY_TABLE`` / ``EINVOICE_USAGE_PLAN_ID``).
"""

from __future__ import annotations

import json

from einvoice.cli import add_target_arguments, target_settings


def register(sub) -> None:
    admin = sub.add_parser("admin", help="partners, accounts and API keys")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)

    def common(p):
        add_target_arguments(p)
        p.add_argument("--tenancy-table", help="tenancy table name (default from EINVOICE_TENANCY_TABLE)")
        p.add_argument("--usage-plan-id", help="API Gateway usage plan for new keys (default: EINVOICE_USAGE_PLAN_ID)")

    p = admin_sub.add_parser("create-partner", help="create a white-label partner")
    p.add_argument("partner_id")
    p.add_argument("name")
    p.add_argument("--display-name", help="branding: name shown on documents and e-mails")
    common(p)
    p.set_defaults(func=_create_partner)

    p = admin_sub.add_parser("create-account", help="create an account (optionally a secondary account)")
    p.add_argument("account_id")
    p.add_argument("--partner", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--parent", help="parent account id (makes this a secondary account)")
    common(p)
    p.set_defaults(func=_create_account)

    p = admin_sub.add_parser("create-key", help="create an API key for a partner or one of its accounts")
    p.add_argument("--partner", required=True)
    p.add_argument("--account")
    p.add_argument("--value", help="explicit key value (default: random); shown once")
    common(p)
    p.set_defaults(func=_create_key)

    p = admin_sub.add_parser("create-flow-client",
                             help="create an OAuth2 client of the Flow API for another platform or an account")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--platform", help="the platform's id, e.g. 0238:PA-0042")
    who.add_argument("--account", help="one of your accounts (its software deposits invoices)")
    p.add_argument("--partner", help="the account's partner")
    p.add_argument("--name", help="a name for the client (default: the platform or account id)")
    p.add_argument("--user-pool-id", help="AWS: the stack's FlowUserPoolId output (creates the Cognito app client)")
    common(p)
    p.set_defaults(func=_create_flow_client)


def _settings(args):
    s = target_settings(args)
    update = {}
    if args.tenancy_table:
        update["tenancy_table"] = args.tenancy_table
    if args.usage_plan_id:
        update["usage_plan_id"] = args.usage_plan_id
    if not update.get("usage_plan_id", s.usage_plan_id) and s.endpoint_url:  # the local platform's plan
        update["usage_plan_id"] = _local_usage_plan(s.endpoint_url, s)
    return s.model_copy(update=update)


def _local_usage_plan(endpoint: str, s) -> str:
    from einvoice.adapters.aws.clients import client

    plans = client("apigateway", s.model_copy(update={"endpoint_url": endpoint})).get_usage_plans().get("items", [])
    return next((p["id"] for p in plans if p["name"] == "einvoice-default"), "")


def _run(fn):
    from einvoice.errors import DomainError

    try:
        out = fn()
    except DomainError as err:
        print(json.dumps({"code": err.code, "message": err.message, "details": [d.to_dict() for d in err.details]}))
        return 1
    print(json.dumps(out.model_dump(mode="json", by_alias=True), indent=2))
    return 0


def _create_partner(args) -> int:
    from einvoice.accounts import service

    s = _settings(args)
    branding = {"displayName": args.display_name or args.name}
    return _run(lambda: service.create_partner(args.partner_id, args.name, branding, settings=s))


def _create_account(args) -> int:
    from einvoice.accounts import service

    s = _settings(args)
    return _run(lambda: service.create_account(args.account_id, args.partner, args.name, args.parent, settings=s))


def _create_key(args) -> int:
    from einvoice.accounts import service

    s = _settings(args)
    return _run(
        lambda: service.create_api_key(
            args.partner, args.account, value=args.value, settings=s
        )
    )


def _create_flow_client(args) -> int:
    from einvoice.flows.clients import ACCOUNT, PLATFORM, register_client

    s = _settings(args)
    kind = PLATFORM if args.platform else ACCOUNT
    out = register_client(kind, args.name or args.platform or args.account, platform_id=args.platform,
                          account_id=args.account, partner_id=args.partner, user_pool_id=args.user_pool_id,
                          settings=s)
    print(json.dumps(out, indent=2))
    return 0
