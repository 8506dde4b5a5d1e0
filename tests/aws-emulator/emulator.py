"""firedrill's AWS emulator for the tests: pinned moto, plus the AWS behaviours moto lacks,
given as rules a test switches on.

Started by tests/it/moto.rs as

    python emulator.py MOTO_SERVER -H 127.0.0.1 -p PORT

it runs moto's own server in this process and ends when its stdin closes (that is, with
the test process, however that ends).

Rules. POST /firedrill-emulator/rules with a JSON list replaces the rules; GET returns
them with how often each was given; POST /moto-api/reset (moto's reset) clears them.

    {"rule": "a name", "action": "ModifyVpcAttribute", "matching": "text in the request",
     "times": 1, "status": 400, "body": "<the answer>"}

answers the first `times` requests for `action` whose body contains `matching` with
`status` and `body`. Such a request never reaches moto, as AWS never carried it out
(a mock that rewrote moto's answer would have let moto act on it) — unless the rule
says `"acted": true`: then moto carries it out and its answer is replaced, as when
AWS acted and its answer was lost on the way. What each rule
stands for, and the AWS page it follows, is written beside it in tests/it/aws_rules.rs.
"""

import io
import json
import os
import runpy
import sys
import threading
from urllib.parse import parse_qs


def stop_with_parent():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=stop_with_parent, daemon=True).start()

# Of AWS's managed policies keep only the one a drill attaches (the runner's
# AmazonSSMManagedInstanceCore): moto re-parses all of them (4.7 MB of JSON) whenever a
# reset IAM is first used, about 2 s of CPU per test, for nothing.
import moto.iam.models as iam  # noqa: E402

ATTACHED = {"AmazonSSMManagedInstanceCore"}
everything = json.loads(iam.aws_managed_policies_data)
iam.aws_managed_policies_data = json.dumps({k: v for k, v in everything.items() if k in ATTACHED})

from moto.moto_server.werkzeug_app import DomainDispatcherApplication  # noqa: E402

RULES = []
LOCK = threading.Lock()
moto_call = DomainDispatcherApplication.__call__


def action_of(environ, body):
    """The operation: X-Amz-Target for JSON protocols (SSM), else the query's Action."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    form = parse_qs(body.decode("utf-8", "replace"))
    query = parse_qs(environ.get("QUERY_STRING", ""))
    return (form.get("Action") or query.get("Action") or [""])[0]


def answer(start_response, status, body, content_type="text/xml"):
    reason = "OK" if status < 400 else "Error"
    start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def rules(environ, body, start_response):
    with LOCK:
        if environ["REQUEST_METHOD"] == "POST":
            RULES[:] = [dict(rule, given=0) for rule in json.loads(body or b"[]")]
        listed = json.dumps(RULES).encode()
    return answer(start_response, 200, listed, "application/json")


def rule_for(action, text):
    with LOCK:
        for rule in RULES:
            if rule["action"] == action and rule["given"] < rule["times"] and rule.get("matching", "") in text:
                rule["given"] += 1
                return rule
    return None


def emulate(self, environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    path = environ.get("PATH_INFO", "")
    if path == "/firedrill-emulator/rules":
        return rules(environ, body, start_response)
    if path == "/moto-api/reset":
        with LOCK:
            RULES.clear()
    else:
        text = body.decode("utf-8", "replace")
        rule = rule_for(action_of(environ, body), text)
        if rule is not None:
            if rule.get("acted"):
                # moto acts; what it answers is thrown away.
                for _ in moto_call(self, environ, lambda *args, **kwargs: None):
                    pass
            return answer(start_response, rule["status"], rule["body"].encode())
    return moto_call(self, environ, start_response)


DomainDispatcherApplication.__call__ = emulate

script = sys.argv[1]
sys.argv = [script] + sys.argv[2:]
runpy.run_path(script, run_name="__main__")
