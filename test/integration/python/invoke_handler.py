"""Runs a Python Lambda handler as one execution environment: the module is imported once, so its
globals (the connection) live across invocations; each stdin line is an event, each stdout line
the outcome."""
import importlib.util
import json
import sys

spec = importlib.util.spec_from_file_location("handler_module", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)

for line in sys.stdin:
    try:
        outcome = {"ok": True, "result": module.handler(json.loads(line), None)}
    except Exception as error:  # the invocation fails; the environment lives on, as in Lambda
        outcome = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    print(json.dumps(outcome), flush=True)
