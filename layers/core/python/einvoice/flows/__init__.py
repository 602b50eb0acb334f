"""The AFNOR XP Z12-013 Flow Service, server side: ``POST /v1/flows``, ``POST /v1/flows/search``,
``GET /v1/flows/{flowId}``, ``GET /v1/healthcheck``.

Callers are OAuth2 clients (client credentials; Cognito on AWS, the local token endpoint in local
mode): another approved platform delivering invoices or statuses to our companies, or one of our
accounts' own software depositing invoices. ``clients`` resolves the token's client to a caller,
``service`` implements the use cases, ``errors`` the standard's error body (``/v1/flows*`` answers
errors in the AFNOR shape; the rest of the API keeps ``{code, message, details, requestId}``).
"""
