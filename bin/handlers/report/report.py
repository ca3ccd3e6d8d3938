"""Demo handler in Python: wired functions of any runtime get the same environment."""
import os


def handler(event, context):
    return {
        "host": os.environ["SERVERLESS_RDS_HOST"],
        "port": int(os.environ["SERVERLESS_RDS_PORT"]),
        "database": os.environ["SERVERLESS_RDS_DATABASE"],
    }
