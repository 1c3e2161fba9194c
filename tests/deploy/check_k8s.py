#!/usr/bin/python3
"""Offline structural check of deploy/kubernetes/rstwatch.yaml.

Not the Kubernetes OpenAPI schema (no kubectl with it in Debian 12, and
kubectl --dry-run=client still asks an API server): the fields and types
below are written down from the apps/v1 DaemonSet, core/v1 PodSpec, Container,
SecurityContext, Probe, Volume, Service, ServiceAccount and Namespace API
references, for the fields rstwatch's manifest may use.  Unknown fields are
errors, as with kubectl's strict validation.  Then what the manifest must say
for rstwatch to work: host namespaces, the capabilities user/caps.c keeps,
probes on /metrics, mounts, a Service that selects the pods.

  check_k8s.py MANIFEST CAPS_C    prints "ok ..." lines, or "FAIL ..." and exits 1
"""
import re
import sys

import yaml

STR, INT, BOOL = str, int, bool
STRMAP = ("map", str)


def listof(t):
    return ("list", t)


QUANTITY = ("quantity",)
INT_OR_STR = ("int-or-string",)

OBJECT_META = {
    "name": STR, "namespace": STR, "labels": STRMAP, "annotations": STRMAP,
}
LABEL_SELECTOR = {"matchLabels": STRMAP, "matchExpressions": listof(
    {"key": STR, "operator": ("enum", "In", "NotIn", "Exists", "DoesNotExist"),
     "values": listof(STR)})}
OBJECT_FIELD_SELECTOR = {"fieldPath": STR, "apiVersion": STR}
ENV_VAR = {"name": STR, "value": STR, "valueFrom": {
    "fieldRef": OBJECT_FIELD_SELECTOR,
    "resourceFieldRef": {"resource": STR, "containerName": STR, "divisor": QUANTITY}}}
HTTP_GET = {"path": STR, "port": INT_OR_STR, "host": STR,
            "scheme": ("enum", "HTTP", "HTTPS"),
            "httpHeaders": listof({"name": STR, "value": STR})}
PROBE = {"httpGet": HTTP_GET, "tcpSocket": {"port": INT_OR_STR, "host": STR},
         "exec": {"command": listof(STR)},
         "initialDelaySeconds": INT, "periodSeconds": INT, "timeoutSeconds": INT,
         "successThreshold": INT, "failureThreshold": INT,
         "terminationGracePeriodSeconds": INT}
CAPABILITIES = {"add": listof(STR), "drop": listof(STR)}
SECCOMP = {"type": ("enum", "RuntimeDefault", "Unconfined", "Localhost"),
           "localhostProfile": STR}
SECURITY_CONTEXT = {
    "runAsUser": INT, "runAsGroup": INT, "runAsNonRoot": BOOL, "privileged": BOOL,
    "allowPrivilegeEscalation": BOOL, "readOnlyRootFilesystem": BOOL,
    "capabilities": CAPABILITIES, "seccompProfile": SECCOMP,
    "procMount": ("enum", "Default", "Unmasked"),
    "appArmorProfile": {"type": ("enum", "RuntimeDefault", "Unconfined", "Localhost"),
                        "localhostProfile": STR},
}
RESOURCES = {"requests": ("map", QUANTITY), "limits": ("map", QUANTITY)}
VOLUME_MOUNT = {"name": STR, "mountPath": STR, "readOnly": BOOL, "subPath": STR,
                "mountPropagation": ("enum", "None", "HostToContainer", "Bidirectional")}
CONTAINER_PORT = {"name": STR, "containerPort": INT, "hostPort": INT, "hostIP": STR,
                  "protocol": ("enum", "TCP", "UDP", "SCTP")}
CONTAINER = {
    "name": STR, "image": STR,
    "imagePullPolicy": ("enum", "Always", "IfNotPresent", "Never"),
    "command": listof(STR), "args": listof(STR), "env": listof(ENV_VAR),
    "ports": listof(CONTAINER_PORT), "readinessProbe": PROBE, "livenessProbe": PROBE,
    "startupProbe": PROBE, "resources": RESOURCES, "securityContext": SECURITY_CONTEXT,
    "volumeMounts": listof(VOLUME_MOUNT), "workingDir": STR,
}
HOST_PATH_TYPES = ("enum", "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File",
                   "Socket", "CharDevice", "BlockDevice")
VOLUME = {"name": STR, "hostPath": {"path": STR, "type": HOST_PATH_TYPES},
          "emptyDir": {"medium": STR, "sizeLimit": QUANTITY},
          "configMap": {"name": STR, "optional": BOOL, "defaultMode": INT}}
TOLERATION = {"key": STR, "operator": ("enum", "Exists", "Equal"), "value": STR,
              "effect": ("enum", "NoSchedule", "PreferNoSchedule", "NoExecute"),
              "tolerationSeconds": INT}
POD_SPEC = {
    "containers": listof(CONTAINER), "initContainers": listof(CONTAINER),
    "volumes": listof(VOLUME), "serviceAccountName": STR,
    "automountServiceAccountToken": BOOL, "hostNetwork": BOOL, "hostPID": BOOL,
    "hostIPC": BOOL,
    "dnsPolicy": ("enum", "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"),
    "tolerations": listof(TOLERATION), "nodeSelector": STRMAP,
    "priorityClassName": STR, "terminationGracePeriodSeconds": INT,
    "securityContext": {"runAsUser": INT, "runAsGroup": INT, "runAsNonRoot": BOOL,
                        "fsGroup": INT, "seccompProfile": SECCOMP},
}
DAEMONSET = {
    "apiVersion": STR, "kind": STR, "metadata": OBJECT_META,
    "spec": {
        "selector": LABEL_SELECTOR,
        "template": {"metadata": OBJECT_META, "spec": POD_SPEC},
        "updateStrategy": {"type": ("enum", "RollingUpdate", "OnDelete"),
                           "rollingUpdate": {"maxUnavailable": INT_OR_STR,
                                             "maxSurge": INT_OR_STR}},
        "minReadySeconds": INT, "revisionHistoryLimit": INT,
    },
}
SERVICE = {
    "apiVersion": STR, "kind": STR, "metadata": OBJECT_META,
    "spec": {"clusterIP": STR, "selector": STRMAP,
             "type": ("enum", "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
             "ports": listof({"name": STR, "port": INT, "targetPort": INT_OR_STR,
                              "protocol": ("enum", "TCP", "UDP", "SCTP"), "nodePort": INT})},
}
SERVICE_ACCOUNT = {"apiVersion": STR, "kind": STR, "metadata": OBJECT_META,
                   "automountServiceAccountToken": BOOL}
NAMESPACE = {"apiVersion": STR, "kind": STR, "metadata": OBJECT_META}

KINDS = {("apps/v1", "DaemonSet"): DAEMONSET, ("v1", "Service"): SERVICE,
         ("v1", "ServiceAccount"): SERVICE_ACCOUNT, ("v1", "Namespace"): NAMESPACE}
# each object's required fields, by path (the API's "required", and what an
# object of that kind cannot work without)
REQUIRED = {
    "DaemonSet": ["metadata.name", "spec.selector", "spec.template.spec.containers"],
    "Service": ["metadata.name", "spec.ports"],
    "ServiceAccount": ["metadata.name"],
    "Namespace": ["metadata.name"],
}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
QUANTITY_RE = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$")
# Linux capability names Kubernetes passes on (without the CAP_ prefix)
LINUX_CAPS = {"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
              "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
              "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE",
              "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT",
              "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
              "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
              "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
              "CHECKPOINT_RESTORE", "ALL"}

errors = []


def check(value, schema, path):
    """Type-check value against schema; unknown fields are errors."""
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            errors.append(f"{path}: an object expected, got {type(value).__name__}")
            return
        for k, v in value.items():
            if k not in schema:
                errors.append(f"{path}.{k}: unknown field")
            else:
                check(v, schema[k], f"{path}.{k}")
    elif schema in (STR, INT, BOOL):
        # bool is an int in Python: tell them apart
        if not isinstance(value, schema) or (schema is INT and isinstance(value, bool)):
            errors.append(f"{path}: {schema.__name__} expected, got {value!r}")
    elif schema[0] == "list":
        if not isinstance(value, list):
            errors.append(f"{path}: a list expected")
            return
        for i, item in enumerate(value):
            check(item, schema[1], f"{path}[{i}]")
    elif schema[0] == "map":
        if not isinstance(value, dict):
            errors.append(f"{path}: a map expected")
            return
        for k, v in value.items():
            check(k, STR, f"{path} key")
            check(v, schema[1], f"{path}.{k}")
    elif schema[0] == "enum":
        if value not in schema[1:]:
            errors.append(f"{path}: {value!r} is not one of {list(schema[1:])}")
    elif schema[0] == "quantity":
        if not isinstance(value, (str, int)) or not QUANTITY_RE.match(str(value)):
            errors.append(f"{path}: {value!r} is not a quantity")
    elif schema[0] == "int-or-string":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            errors.append(f"{path}: int or string expected, got {value!r}")


def get(obj, dotted):
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def expect(cond, what):
    if not cond:
        errors.append(what)


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def kept_caps(caps_c):
    """The capabilities user/caps.c keeps after attaching (service_caps[])."""
    src = open(caps_c).read()
    m = re.search(r"service_caps\[\]\s*=\s*\{([^}]*)\}", src)
    if not m:
        sys.exit(f"FAIL {caps_c}: no service_caps[] found")
    return {c.strip().removeprefix("CAP_") for c in m.group(1).split(",") if c.strip()}


def check_daemonset(ds, caps):
    meta = ds["metadata"]
    pod = get(ds, "spec.template.spec") or {}
    tlabels = get(ds, "spec.template.metadata.labels") or {}
    expect(selects(get(ds, "spec.selector.matchLabels"), tlabels),
           "DaemonSet: spec.selector does not select the template's labels")
    expect(DNS_LABEL.match(meta.get("name", "")), "DaemonSet: name is not a DNS label")
    expect(pod.get("hostNetwork") is True, "DaemonSet: hostNetwork must be true")
    expect(pod.get("hostPID") is True, "DaemonSet: hostPID must be true (socket owners in /proc)")
    expect(pod.get("dnsPolicy") == "ClusterFirstWithHostNet",
           "DaemonSet: with hostNetwork, dnsPolicy ClusterFirstWithHostNet")
    containers = pod.get("containers") or []
    expect(len(containers) == 1, "DaemonSet: one container")
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    for c in containers:
        name = c.get("name", "?")
        expect(c.get("image"), f"container {name}: no image")
        ports = {p.get("name"): p for p in c.get("ports") or []}
        for p in ports.values():
            # with hostNetwork, a hostPort must equal the containerPort
            expect("hostPort" not in p or p["hostPort"] == p["containerPort"],
                   f"container {name}: hostPort differs from containerPort")
        argv = (c.get("command") or []) + (c.get("args") or [])
        expect(argv[:2] == ["/usr/sbin/rstwatch", "serve"],
               f"container {name}: runs {argv[:2]}, not /usr/sbin/rstwatch serve")
        listen = argv[argv.index("--listen") + 1] if "--listen" in argv[:-1] else ""
        port = listen.rsplit(":", 1)[-1]
        expect("metrics" in ports and str(ports["metrics"]["containerPort"]) == port,
               f"container {name}: port metrics is not the --listen port ({listen})")
        env = {e["name"] for e in c.get("env") or []}
        for ref in re.findall(r"\$\(([A-Z_]+)\)", " ".join(argv)):
            expect(ref in env, f"container {name}: $({ref}) is not in env")
        for probe in ("readinessProbe", "livenessProbe"):
            hg = get(c, probe + ".httpGet") or {}
            expect(hg.get("path") == "/metrics", f"container {name}: {probe} not on /metrics")
            expect(hg.get("port") in ports or hg.get("port") == int(port or 0),
                   f"container {name}: {probe} port {hg.get('port')!r} is not a container port")
        sc = c.get("securityContext") or {}
        expect(sc.get("privileged") is not True, f"container {name}: privileged")
        expect(sc.get("allowPrivilegeEscalation") is False,
               f"container {name}: allowPrivilegeEscalation must be false")
        add = set(get(sc, "capabilities.add") or [])
        drop = set(get(sc, "capabilities.drop") or [])
        for cap in add | drop:
            expect(cap in LINUX_CAPS, f"container {name}: unknown capability {cap}")
        expect(drop == {"ALL"}, f"container {name}: capabilities.drop must be [ALL]")
        expect(add == caps, f"container {name}: adds {sorted(add)}, rstwatch keeps {sorted(caps)}"
               " (user/caps.c): grant exactly those")
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts") or []}
        for m in mounts.values():
            expect(m["name"] in volumes, f"container {name}: mount {m['name']} has no volume")
        for path in ("/sys/kernel/btf", "/sys/fs/cgroup"):
            m = mounts.get(path)
            expect(m and get(volumes.get(m["name"], {}), "hostPath.path") == path,
                   f"container {name}: {path} is not the host's (hostPath)")
            expect(m and m.get("readOnly") is True, f"container {name}: {path} not read-only")
    return sum(1 for _ in containers)


def main():
    manifest, caps_c = sys.argv[1], sys.argv[2]
    docs = [d for d in yaml.safe_load_all(open(manifest)) if d is not None]
    print(f"ok   {manifest}: {len(docs)} YAML documents parse")
    seen = {}
    for i, doc in enumerate(docs):
        key = (doc.get("apiVersion"), doc.get("kind"))
        schema = KINDS.get(key)
        if schema is None:
            errors.append(f"document {i}: {key} is not a kind this check knows")
            continue
        check(doc, schema, doc["kind"])
        for path in REQUIRED[doc["kind"]]:
            expect(get(doc, path) is not None, f"{doc['kind']}: {path} is required")
        seen[doc["kind"]] = doc
    for kind in ("Namespace", "ServiceAccount", "DaemonSet", "Service"):
        expect(kind in seen, f"no {kind}")
    ds, svc = seen.get("DaemonSet"), seen.get("Service")
    if ds:
        check_daemonset(ds, kept_caps(caps_c))
        ns = get(seen.get("Namespace", {}), "metadata.name")
        for kind, doc in seen.items():
            if kind != "Namespace":
                expect(get(doc, "metadata.namespace") == ns, f"{kind}: not in namespace {ns}")
        expect(get(ds, "spec.template.spec.serviceAccountName") ==
               get(seen.get("ServiceAccount", {}), "metadata.name"),
               "DaemonSet: serviceAccountName is not the manifest's ServiceAccount")
    if ds and svc:
        tlabels = get(ds, "spec.template.metadata.labels") or {}
        expect(selects(get(svc, "spec.selector"), tlabels), "Service: does not select the pods")
        cports = {p.get("name") for c in get(ds, "spec.template.spec.containers") or []
                  for p in c.get("ports") or []}
        for p in get(svc, "spec.ports") or []:
            expect(p.get("targetPort") in cports,
                   f"Service: targetPort {p.get('targetPort')!r} is no container port name")
    if errors:
        for e in errors:
            print(f"FAIL {e}")
        sys.exit(1)
    print(f"ok   {manifest}: {', '.join(sorted(seen))} match the written-down schema "
          "and rstwatch's needs")


main()
