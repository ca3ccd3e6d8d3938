"""Example: a Python function wired by ServerlessDatabase.addFunction(), using psycopg2.

The connection is created outside the handler and kept in a module global, so every invocation
of an execution environment reuses it (one connection per environment: the budget counted
exactly that). Before reusing a connection that sat idle, one round trip checks it is still open
(the proxy or a failover may have closed it while the environment was frozen); a dead one is
replaced before the statement is sent, so no statement ever runs twice.

Deploy with psycopg2 in this folder (it is not in Lambda's Python runtime), for example:
    pip install -r requirements.txt --target . --platform manylinux2014_x86_64 --only-binary=:all:
"""
import json
import os
import time

import boto3
import psycopg2

# A reused connection idle at least this long is checked before use (as the Node.js helper does).
VALIDATE_AFTER_IDLE_SECONDS = 1.0

conn = None
last_used = 0.0


def _password():
    if os.environ["SERVERLESS_RDS_AUTH"] == "iam":
        # A token lives 15 minutes and is needed only to open a connection; never log it.
        return boto3.client("rds", region_name=os.environ["SERVERLESS_RDS_REGION"]).generate_db_auth_token(
            DBHostname=os.environ["SERVERLESS_RDS_HOST"],
            Port=int(os.environ["SERVERLESS_RDS_PORT"]),
            DBUsername=os.environ["SERVERLESS_RDS_USER"],
        )
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SERVERLESS_RDS_SECRET_ARN"])
    return json.loads(secret["SecretString"])["password"]


def _connect():
    return psycopg2.connect(
        host=os.environ["SERVERLESS_RDS_HOST"],
        port=int(os.environ["SERVERLESS_RDS_PORT"]),
        dbname=os.environ["SERVERLESS_RDS_DATABASE"],
        user=os.environ["SERVERLESS_RDS_USER"],
        password=_password(),
        # The proxy requires TLS; verify-full checks the chain and the host name. RDS Proxy
        # certificates chain to the public Amazon roots: "system" (libpq 16+) trusts the OS store.
        sslmode="verify-full",
        sslrootcert=os.environ.get("DATABASE_CA_FILE", "system"),
        connect_timeout=5,
        # A connection the network dropped without a reset would leave the idle check waiting for
        # TCP's own give-up (minutes): fail unacknowledged sends after 2 s instead.
        tcp_user_timeout=2000,
        keepalives=1,
    )


def _connection():
    global conn
    if conn is not None and not conn.closed and time.monotonic() - last_used >= VALIDATE_AFTER_IDLE_SECONDS:
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
        except psycopg2.OperationalError:
            conn.close()
    if conn is None or conn.closed:
        conn = _connect()
    return conn


def handler(event, context):
    global last_used
    connection = _connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO orders (customer, amount_cents) VALUES (%s, %s) RETURNING id, pg_backend_pid()",
                (event["customer"], event["amountCents"]),
            )
            order_id, backend_pid = cursor.fetchone()
        connection.commit()
    except Exception:
        # Not "with connection": its rollback on a lost connection raises InterfaceError ("connection
        # already closed"), hiding the real error. A lost connection is replaced on the next call.
        if not connection.closed:
            connection.rollback()
        raise
    finally:
        last_used = time.monotonic()
    return {"orderId": order_id, "backendPid": backend_pid}
