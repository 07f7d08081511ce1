"""The GraphQL surface of authentication: sign-in, tokens, sessions, TOTP and API keys.

The logic lives in ``unicrm.core.authz``; these resolvers only translate.
"""
