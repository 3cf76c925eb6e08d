#!/usr/bin/env python3
"""Skiff's gRPC API from Python (grpcio), with code generated from proto/ by grpc_tools.protoc.

Run by integration/grpc-api.test.ts; usable by hand as an example (docs/grpc.md):

    python3 -m grpc_tools.protoc -I proto -I <grpc_tools>/_proto --python_out=GEN --grpc_python_out=GEN \\
        skiff/v1/objects.proto skiff/v1/discovery.proto skiff/v1/status.proto google/rpc/status.proto
    python3 integration/grpc_client.py --gen GEN --address $(cat $SKIFF_HOME/grpc-address) \\
        --ca $SKIFF_HOME/pki/ca.crt --token $(cat $SKIFF_HOME/token) --namespace py

It creates a namespace and config maps, lists them with selectors and in pages, watches, drops the
watch and resumes it from the last resource version, patches, deletes, and checks the errors of a
wrong token and of an invalid object. It prints one JSON object with what it saw.
"""
import argparse
import json
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--gen", required=True, help="directory of the generated *_pb2.py")
parser.add_argument("--address", required=True)
parser.add_argument("--ca", required=True)
parser.add_argument("--token", required=True)
parser.add_argument("--namespace", default="py")
args = parser.parse_args()
sys.path.insert(0, args.gen)

import grpc  # noqa: E402
from google.protobuf import wrappers_pb2  # noqa: E402
from google.rpc import status_pb2 as rpc_status_pb2  # noqa: E402
from skiff.v1 import discovery_pb2, discovery_pb2_grpc, objects_pb2, objects_pb2_grpc, status_pb2  # noqa: E402

with open(args.ca, "rb") as f:
    creds = grpc.ssl_channel_credentials(root_certificates=f.read())
channel = grpc.secure_channel(args.address, creds)
objects = objects_pb2_grpc.ObjectsStub(channel)
discovery = discovery_pb2_grpc.DiscoveryStub(channel)
auth = [("authorization", "Bearer " + args.token)]
NS = args.namespace


def ref(resource, name="", namespace=NS, group="", version="v1", subresource=""):
    return objects_pb2.ResourceRef(group=group, version=version, resource=resource, namespace=namespace, name=name, subresource=subresource)


def obj(value):
    return objects_pb2.Object(json=json.dumps(value).encode())


def decoded(o):
    return json.loads(o.json)


def cm(name, labels, data=None):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": data or {"k": "v"}}


def failure(call):
    """The gRPC code name and the Kubernetes Status from the error details of a failed call."""
    try:
        call()
    except grpc.RpcError as e:
        status = None
        for key, value in e.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                rpc = rpc_status_pb2.Status.FromString(value)
                for any_ in rpc.details:
                    if any_.Is(status_pb2.Status.DESCRIPTOR):
                        s = status_pb2.Status()
                        any_.Unpack(s)
                        status = {"code": s.code, "reason": s.reason, "causes": [{"field": c.field, "reason": c.reason} for c in s.causes]}
        return {"code": e.code().name, "details": e.details(), "status": status}
    raise AssertionError("the call succeeded")


out = {}
kinds = discovery.ListKinds(discovery_pb2.ListKindsRequest(), metadata=auth).kinds
out["kinds"] = len(kinds)
out["hasDeployments"] = any(k.resource == "deployments" and k.group == "apps" for k in kinds)

objects.Create(objects_pb2.CreateRequest(ref=ref("namespaces", namespace=""), object=obj({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})), metadata=auth)
start = objects.List(objects_pb2.ListRequest(ref=ref("configmaps"), limit=1), metadata=auth)

# a watch from the list's revision, in a thread, while the writes go on; dropped part-way
events = []
first_stream = objects.Watch(objects_pb2.WatchRequest(ref=ref("configmaps"), resource_version=start.resource_version, label_selector="app=py"), metadata=auth)
dropped = threading.Event()


def read(stream, until):
    try:
        for ev in stream:
            events.append((ev.type, decoded(ev.object)))
            if until():
                break
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.CANCELLED:
            raise


reader = threading.Thread(target=read, args=(first_stream, lambda: len(events) >= 8))
reader.start()
for i in range(12):
    objects.Create(objects_pb2.CreateRequest(ref=ref("configmaps"), object=obj(cm(f"py-{i:02d}", {"app": "py", "tier": "a" if i % 2 else "b"}))), metadata=auth)
reader.join(timeout=30)
first_stream.cancel()
last_rv = events[-1][1]["metadata"]["resourceVersion"]
out["eventsBeforeDrop"] = len(events)

# writes while nobody watches, then the resumed watch must bring exactly the rest
for i in range(12, 16):
    objects.Create(objects_pb2.CreateRequest(ref=ref("configmaps"), object=obj(cm(f"py-{i:02d}", {"app": "py", "tier": "a"}))), metadata=auth)
patched = decoded(objects.Patch(objects_pb2.PatchRequest(ref=ref("configmaps", "py-00"), patch_type="application/merge-patch+json", patch=json.dumps({"data": {"k": "patched"}}).encode()), metadata=auth))
out["patchedData"] = patched["data"]
deleted = decoded(objects.Delete(objects_pb2.DeleteRequest(ref=ref("configmaps", "py-01"), grace_period_seconds=wrappers_pb2.Int64Value(value=0)), metadata=auth))
out["deletedName"] = deleted["metadata"]["name"]
resumed = objects.Watch(objects_pb2.WatchRequest(ref=ref("configmaps"), resource_version=last_rv, label_selector="app=py"), metadata=auth)
expected = 12 + 4 + 1 + 1
reader = threading.Thread(target=read, args=(resumed, lambda: len(events) >= expected))
reader.start()
reader.join(timeout=30)
resumed.cancel()
keys = [f'{t}/{o["metadata"]["name"]}/{o["metadata"]["resourceVersion"]}' for t, o in events]
out["events"] = len(events)
out["distinctEvents"] = len(set(keys))
out["eventTypes"] = {t: sum(1 for x, _ in events if x == t) for t in ("ADDED", "MODIFIED", "DELETED")}
rvs = [int(o["metadata"]["resourceVersion"]) for _, o in events]
out["ordered"] = rvs == sorted(rvs)

# selectors and pages
tier_a = objects.List(objects_pb2.ListRequest(ref=ref("configmaps"), label_selector="app=py,tier=a"), metadata=auth)
out["tierA"] = sorted(decoded(o)["metadata"]["name"] for o in tier_a.items)
names, cont, pages = [], "", 0
while True:
    page = objects.List(objects_pb2.ListRequest(ref=ref("configmaps"), label_selector="app=py", limit=4, **{"continue": cont}), metadata=auth)
    names += [decoded(o)["metadata"]["name"] for o in page.items]
    pages += 1
    cont = getattr(page, "continue")
    if not cont:
        break
out["pagedNames"] = names
out["pages"] = pages

# errors
bad_token = [("authorization", "Bearer not-the-token")]
out["wrongToken"] = failure(lambda: objects.Get(objects_pb2.GetRequest(ref=ref("configmaps", "py-00")), metadata=bad_token))
out["noToken"] = failure(lambda: objects.List(objects_pb2.ListRequest(ref=ref("configmaps"))))
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "py-pod"}, "spec": {"containers": [{"name": "c"}]}}
out["invalid"] = failure(lambda: objects.Create(objects_pb2.CreateRequest(ref=ref("pods"), object=obj(pod)), metadata=auth))
out["missing"] = failure(lambda: objects.Get(objects_pb2.GetRequest(ref=ref("configmaps", "nope")), metadata=auth))
out["exists"] = failure(lambda: objects.Create(objects_pb2.CreateRequest(ref=ref("configmaps"), object=obj(cm("py-02", {}))), metadata=auth))
channel.close()
print(json.dumps(out))
