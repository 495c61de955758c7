"""Signs requests with the Python OCI SDK, the reference our Rust signer is checked against.

Reads a JSON list of requests on stdin, each {"method", "url", "body" (or null), "date",
"key_file", "pass_phrase" (or null), "key_id" ("tenancy/user/fingerprint" or "ST$<token>")},
and prints a JSON list of the Authorization header (plus x-content-sha256) the SDK sets.
"""

import json
import sys

import oci
from oci._vendor.requests import Request


def sign(item):
    key = oci.signer.load_private_key_from_file(item["key_file"], item["pass_phrase"])
    key_id = item["key_id"]
    if key_id.startswith("ST$"):
        signer = oci.auth.signers.SecurityTokenSigner(key_id[3:], key)
    else:
        tenancy, user, fingerprint = key_id.split("/")
        signer = oci.signer.Signer(tenancy, user, fingerprint, item["key_file"], pass_phrase=item["pass_phrase"])
    body = item["body"]
    request = Request(
        item["method"],
        item["url"],
        headers={"date": item["date"], "content-type": "application/json"},
        data=body.encode("utf-8") if body is not None else None,
    ).prepare()
    signer(request)
    return {
        "authorization": request.headers["authorization"],
        "x-content-sha256": request.headers.get("x-content-sha256"),
        "request_target": request.path_url,
    }


json.dump([sign(item) for item in json.load(sys.stdin)], sys.stdout)
