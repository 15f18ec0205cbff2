#!/usr/bin/env python3
"""A Scribe process plugin (protocol 1) in plain Python, no dependencies.

It reads JSON-RPC requests, one per line, on stdin and writes one response
per line on stdout. Logs go to stderr, which Scribe logs with the plugin's
name. See doc/PLUGINS.md.
"""
import json
import re
import sys

PROTOCOL = 1


def check(params, file):
    """Findings for overlong lines and discouraged words; content unchanged."""
    max_line = params.get("max_line", 120)
    avoid = [w.lower() for w in params.get("avoid", [])]
    findings = []
    in_fence = False
    for n, line in enumerate(file.get("content", "").split("\n"), start=1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if len(line) > max_line:
            findings.append({"line": n, "column": max_line + 1, "severity": "warning",
                             "message": f"line is {len(line)} characters long (at most {max_line})"})
        for m in re.finditer(r"[A-Za-z']+", line):
            if m.group(0).lower() in avoid:
                findings.append({"line": n, "column": m.start() + 1, "severity": "info",
                                 "message": f"avoid \"{m.group(0)}\""})
    return {"findings": findings}


ACTIONS = {"check": check}


def reply(msg_id, result=None, error=None):
    msg = {"jsonrpc": "2.0", "id": msg_id}
    if error is not None:
        msg["error"] = error
    else:
        msg["result"] = result
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError as e:
            reply(None, error={"code": -32700, "message": f"invalid JSON: {e}"})
            continue
        method, msg_id = msg.get("method"), msg.get("id")
        if method == "shutdown":
            return
        if method == "initialize":
            reply(msg_id, {"protocol": PROTOCOL, "actions": sorted(ACTIONS)})
        elif method == "run":
            p = msg.get("params", {})
            fn = ACTIONS.get(p.get("action"))
            if fn is None:
                reply(msg_id, error={"code": -32602, "message": f"unknown action {p.get('action')!r}"})
                continue
            try:
                reply(msg_id, fn(p.get("params") or {}, p.get("file", {})))
            except Exception as e:  # one bad file must not end the plugin
                print(f"prose: {p.get('file', {}).get('path')}: {e!r}", file=sys.stderr)
                reply(msg_id, error={"code": 1, "message": str(e)})
        elif msg_id is not None:
            reply(msg_id, error={"code": -32601, "message": f"unknown method {method!r}"})


if __name__ == "__main__":
    main()
