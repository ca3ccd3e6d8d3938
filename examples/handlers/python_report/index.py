"""Example: a Python function the user builds, wired with ServerlessDatabase.connectFunction()."""
import os


def handler(event, context):
    return {
        "auth": os.environ["SERVERLESS_RDS_AUTH"],
        "secret": os.environ.get("SERVERLESS_RDS_SECRET_ARN"),
    }
