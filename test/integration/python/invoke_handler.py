"""Runs a Python Lambda handler as one execution environment: the module is imported once, so its
globals (the connection) live across invocations; each stdin line is an event, each stdout line
the outcome. Whatever the handler prints goes to stderr (its log), so stdout carries outcomes only."""
import contextlib
import importlib.util
import json
import sys
import traceback

sys.dont_write_bytecode = True  # no __pycache__ left next to the handler
outcomes = sys.stdout

with contextlib.redirect_stdout(sys.stderr):
    spec = importlib.util.spec_from_file_location("handler_module", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    for line in sys.stdin:
        try:
            outcome = json.dumps({"ok": True, "result": module.handler(json.loads(line), None)})
        except Exception as error:  # the invocation fails; the environment lives on, as in Lambda
            traceback.print_exc()  # to stderr, as Lambda logs it
            outcome = json.dumps({"ok": False, "error": f"{type(error).__name__}: {str(error).strip()}"})
        print(outcome, file=outcomes, flush=True)
