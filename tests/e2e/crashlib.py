"""Writers and their ledgers for the crash-consistency test (test_crash.py).

Each Worker owns its own entities (an IAM user with access keys, a role with attachments, a
managed policy with versions, temporary users, a key space in the shared bucket) and runs one
request at a time, so at any kill at most one of its requests has an unknown outcome: the
`pending` one. After a restart `resolve` decides what that request did (and checks that it
did all of it or none of it), then `verify` compares the server with the ledger: everything
acknowledged is present and whole, limits hold.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from dataclasses import dataclass

from botocore.config import Config
from botocore.exceptions import ClientError

import hg

MIB = 1024 * 1024
MIN_PART = 5 * MIB
MAX_KEYS, MAX_VERSIONS, MAX_ATTACHED = 2, 5, 10
# Sizes of PutObject bodies: empty, tiny, around the server's 1 MiB write buffer, multi-MiB.
INLINE_MAX = 64 * 1024
SIZES = [0, 1, 1000, 64 * 1024, MIB - 1, MIB + 1, 3 * MIB + 17, 8 * MIB + 5]
SIZE_WEIGHTS = [1, 2, 3, 3, 2, 2, 2, 1]


class Unexpected(AssertionError):
    """The server answered something a correct server never would (not a crash effect)."""


def body(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


@dataclass(frozen=True)
class Obj:
    size: int
    sha256: str
    etag: str  # quoted, as S3 returns it
    segments: int  # data files the object owns (parts of a multipart object)

    @classmethod
    def simple(cls, data: bytes) -> "Obj":
        # An object of at most INLINE_MAX bytes lives in its metadata row, not in a file.
        files = 0 if len(data) <= INLINE_MAX else 1
        return cls(len(data), hashlib.sha256(data).hexdigest(), f'"{hashlib.md5(data).hexdigest()}"', files)

    @classmethod
    def multipart(cls, parts: list[bytes]) -> "Obj":
        digests = b"".join(hashlib.md5(p).digest() for p in parts)
        etag = f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'
        whole = b"".join(parts)
        return cls(len(whole), hashlib.sha256(whole).hexdigest(), etag, len(parts))


def _no_expect(request, **kwargs):
    # botocore 1.43 keeps the status line of an early (non-100) answer to an
    # `Expect: 100-continue` PUT on the connection and, when a later PUT on it waits more than
    # a second for its answer, hands that stale status to the new response: a PUT reads as
    # "200" with no ETag whatever the server said. A loaded server under six writers of
    # 8 MiB bodies gets there; without the header the client reads every status line.
    request.headers.pop("Expect", None)


def s3_client(endpoint: str, creds: hg.Creds):
    cfg = Config(
        retries={"total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=60,
        s3={"addressing_style": "path"},
    )
    with hg._SESSION_LOCK:
        c = hg._session().client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            config=cfg,
        )
    c.meta.events.register("before-send.s3", _no_expect)
    return c


def code_of(e: ClientError) -> str:
    return e.response.get("Error", {}).get("Code", "")


def policy_doc(tag: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{tag}/*"}],
        }
    )


def same_doc(got, want: str) -> bool:
    # boto3 returns policy documents URL-decoded and parsed
    if isinstance(got, str):
        got = json.loads(got)
    return got == json.loads(want)


class Worker:
    def __init__(self, idx: int, seed: int, bucket: str, pool: list[str], account: str):
        self.i = idx
        self.rng = random.Random(seed)
        self.bucket = bucket
        self.pool = pool  # managed policy ARNs to attach
        self.user = f"crash-key-owner-{idx}"
        self.user_arn = f"arn:aws:iam::{account}:user/{self.user}"
        self.role = f"crash-role-{idx}"
        self.policy_name = f"crash-versions-{idx}"
        self.policy_arn = f"arn:aws:iam::{account}:policy/{self.policy_name}"
        self.temp_path = f"/crash{idx}/"
        # the ledger: what the server acknowledged
        self.keys: dict[str, str] = {}  # access key id -> secret
        self.versions: dict[str, str] = {}  # version id -> document
        self.default = "v1"
        self.attached: set[str] = set()
        self.temp_users: dict[str, list[dict]] = {}  # name -> tags
        self.objects: dict[str, Obj | None] = {}
        self.upload: dict | None = None  # multipart upload in progress
        self.pending: tuple | None = None  # the request whose outcome is unknown
        self.dirty: set[str] = set()  # object keys to read back in full at the next verify
        self.acked = 0
        self.log: list[str] = []  # recent requests, for failure messages
        self.n = 0  # sequence for names and seeds

    # -- setup (no kills) ------------------------------------------------------------------

    def setup(self, iam):
        iam.create_user(UserName=self.user)
        iam.create_role(
            RoleName=self.role,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
        )
        doc = policy_doc(f"w{self.i}-v1")
        iam.create_policy(PolicyName=self.policy_name, PolicyDocument=doc)
        self.versions = {"v1": doc}

    # -- the writer loop -------------------------------------------------------------------

    def run(self, endpoint: str, root: hg.Creds, stop: threading.Event, failures: list):
        iam = hg.client("iam", endpoint, root)
        s3 = s3_client(endpoint, root)
        ops = [
            (self.op_put, 30),
            (self.op_delete_object, 4),
            (self.op_multipart, 8),
            (self.op_create_key, 12),
            (self.op_delete_key, 4),
            (self.op_create_version, 12),
            (self.op_attach, 12),
            (self.op_detach, 4),
            (self.op_create_user, 6),
            (self.op_delete_user, 5),
        ]
        fns, weights = zip(*ops)
        try:
            while not stop.is_set():
                fn = self.rng.choices(fns, weights)[0]
                fn(iam, s3)
        except Unexpected as e:
            failures.append(f"worker {self.i}: {e}")
        except ClientError as e:
            # A server answer we did not plan for. Only a crash may interrupt a request.
            failures.append(f"worker {self.i}: unexpected {code_of(e)}: {e} (pending {self.pending})")
        except Exception as e:  # noqa: BLE001 - connection reset/refused: the kill
            self.log.append(f"cut: {type(e).__name__}: {str(e)[:200]} (pending {self.pending and self.pending[:2]})")
            return

    def _call(self, pending: tuple, fn, *a, **kw):
        """Send one request whose outcome becomes unknown if the server dies under it."""
        self.pending = pending
        self.log.append(f"send {pending[:2]}")
        out = fn(*a, **kw)
        self.pending = None
        self.acked += 1
        self.log.append("  acked")
        return out

    def _seed(self) -> int:
        self.n += 1
        return self.i * 1_000_000_007 + self.n

    def _key(self) -> str:
        return f"w{self.i}/k{self.rng.randrange(10)}"

    def op_put(self, iam, s3):
        key = self._key()
        data = body(self._seed(), self.rng.choices(SIZES, SIZE_WEIGHTS)[0])
        new = Obj.simple(data)
        resp = self._call(("put", key, self.objects.get(key), new), s3.put_object, Bucket=self.bucket, Key=key, Body=data)
        if resp["ETag"] != new.etag:
            raise Unexpected(f"PutObject {key} answered ETag {resp['ETag']}, want {new.etag}")
        self.objects[key] = new
        self.dirty.add(key)

    def op_delete_object(self, iam, s3):
        present = sorted(k for k, v in self.objects.items() if v)
        if not present:
            return
        key = self.rng.choice(present)
        self._call(("delete_object", key, self.objects[key]), s3.delete_object, Bucket=self.bucket, Key=key)
        self.objects[key] = None

    def op_multipart(self, iam, s3):
        key = self._key()
        seed = self._seed()
        parts = [body(seed, MIN_PART + self.rng.randrange(1000)), body(seed + 1, self.rng.randrange(1, 300_000))]
        self.upload = None
        r = self._call(("mpu_create", key), s3.create_multipart_upload, Bucket=self.bucket, Key=key)
        self.upload = {"key": key, "id": r["UploadId"], "parts": {}}
        for n, p in enumerate(parts, 1):
            etag = f'"{hashlib.md5(p).hexdigest()}"'
            r = self._call(
                ("mpu_part", n, etag), s3.upload_part,
                Bucket=self.bucket, Key=key, UploadId=self.upload["id"], PartNumber=n, Body=p,
            )
            if r["ETag"] != etag:
                raise Unexpected(f"UploadPart answered ETag {r['ETag']}, want {etag}")
            self.upload["parts"][n] = etag
        new = Obj.multipart(parts)
        r = self._call(
            ("mpu_complete", key, self.objects.get(key), new), s3.complete_multipart_upload,
            Bucket=self.bucket, Key=key, UploadId=self.upload["id"],
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in self.upload["parts"].items()]},
        )
        if r["ETag"] != new.etag:
            raise Unexpected(f"CompleteMultipartUpload answered ETag {r['ETag']}, want {new.etag}")
        self.upload = None
        self.objects[key] = new
        self.dirty.add(key)

    def op_create_key(self, iam, s3):
        at_limit = len(self.keys) >= MAX_KEYS
        if at_limit and self.rng.random() < 0.7:
            return self.op_delete_key(iam, s3)
        try:
            ak = self._call(("create_key",), iam.create_access_key, UserName=self.user)["AccessKey"]
        except ClientError as e:
            self.pending = None
            if code_of(e) == "LimitExceeded" and at_limit:
                return
            raise
        if at_limit:
            raise Unexpected(f"a third access key was created for {self.user}: {ak['AccessKeyId']}")
        self.keys[ak["AccessKeyId"]] = ak["SecretAccessKey"]

    def op_delete_key(self, iam, s3):
        if not self.keys:
            return
        akid = self.rng.choice(sorted(self.keys))
        self._call(("delete_key", akid), iam.delete_access_key, UserName=self.user, AccessKeyId=akid)
        del self.keys[akid]

    def op_create_version(self, iam, s3):
        at_limit = len(self.versions) >= MAX_VERSIONS
        if at_limit and self.rng.random() < 0.7:
            vid = self.rng.choice(sorted(v for v in self.versions if v != self.default))
            self._call(("delete_version", vid), iam.delete_policy_version, PolicyArn=self.policy_arn, VersionId=vid)
            del self.versions[vid]
            return
        doc = policy_doc(f"w{self.i}-n{self._seed()}")
        make_default = self.rng.random() < 0.5
        try:
            v = self._call(
                ("create_version", doc, make_default), iam.create_policy_version,
                PolicyArn=self.policy_arn, PolicyDocument=doc, SetAsDefault=make_default,
            )["PolicyVersion"]
        except ClientError as e:
            self.pending = None
            if code_of(e) == "LimitExceeded" and at_limit:
                return
            raise
        if at_limit:
            raise Unexpected(f"a sixth version {v['VersionId']} of {self.policy_name} was created")
        self.versions[v["VersionId"]] = doc
        if make_default:
            self.default = v["VersionId"]

    def op_attach(self, iam, s3):
        free = sorted(set(self.pool) - self.attached)
        at_limit = len(self.attached) >= MAX_ATTACHED
        if at_limit and self.rng.random() < 0.6:
            return self.op_detach(iam, s3)
        if not free:
            return
        arn = self.rng.choice(free)
        try:
            self._call(("attach", arn), iam.attach_role_policy, RoleName=self.role, PolicyArn=arn)
        except ClientError as e:
            self.pending = None
            if code_of(e) == "LimitExceeded" and at_limit:
                return
            raise
        if at_limit:
            raise Unexpected(f"an eleventh policy was attached to {self.role}")
        self.attached.add(arn)

    def op_detach(self, iam, s3):
        if not self.attached:
            return
        arn = self.rng.choice(sorted(self.attached))
        self._call(("detach", arn), iam.detach_role_policy, RoleName=self.role, PolicyArn=arn)
        self.attached.discard(arn)

    def op_create_user(self, iam, s3):
        if len(self.temp_users) >= 6:
            return self.op_delete_user(iam, s3)
        name = f"crash-tmp-{self.i}-{self._seed()}"
        tags = [{"Key": "n", "Value": str(self.n)}, {"Key": "owner", "Value": f"w{self.i}"}]
        self._call(("create_user", name, tags), iam.create_user, UserName=name, Path=self.temp_path, Tags=tags)
        self.temp_users[name] = tags

    def op_delete_user(self, iam, s3):
        if not self.temp_users:
            return
        name = self.rng.choice(sorted(self.temp_users))
        self._call(("delete_user", name, self.temp_users[name]), iam.delete_user, UserName=name)
        del self.temp_users[name]

    # -- after a restart -------------------------------------------------------------------

    def read_object(self, s3, key: str) -> Obj | None:
        try:
            r = s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as e:
            if code_of(e) == "NoSuchKey":
                return None
            raise
        data = r["Body"].read()
        if len(data) != r["ContentLength"]:
            raise Unexpected(f"{key}: {len(data)} bytes read, Content-Length {r['ContentLength']}")
        return Obj(len(data), hashlib.sha256(data).hexdigest(), r["ETag"], 0)

    def _same(self, got: Obj | None, want: Obj | None) -> bool:
        if got is None or want is None:
            return got is want
        return (got.size, got.sha256, got.etag) == (want.size, want.sha256, want.etag)

    def resolve(self, iam, s3):
        """Decide what the interrupted request did; it must have done all of it or nothing."""
        p, self.pending = self.pending, None
        kind = p[0] if p else None
        if kind in ("put", "delete_object", "mpu_complete"):
            key, prev = p[1], p[2]
            new = p[3] if kind != "delete_object" else None
            got = self.read_object(s3, key)
            if self._same(got, new):
                self.objects[key] = new
            elif self._same(got, prev):
                self.objects[key] = prev
            else:
                raise Unexpected(f"{kind} {key} interrupted: object is {got}, neither before {prev} nor after {new}")
            if kind == "mpu_complete":
                self._resolve_upload(s3, completed=self.objects[key] is new and new is not None)
            self.dirty.discard(key)
        if self.upload is not None:  # interrupted between the steps of a multipart upload
            self._resolve_upload(s3, completed=False, extra_part=p[1:] if kind == "mpu_part" else None)
        if kind == "mpu_create" or kind == "mpu_part" or kind == "mpu_complete":
            # an upload the ledger does not know (its CreateMultipartUpload was cut): abort it
            for u in s3.list_multipart_uploads(Bucket=self.bucket, Prefix=f"w{self.i}/").get("Uploads", []):
                s3.abort_multipart_upload(Bucket=self.bucket, Key=u["Key"], UploadId=u["UploadId"])
        if kind == "create_key":
            present = {k["AccessKeyId"] for k in iam.list_access_keys(UserName=self.user)["AccessKeyMetadata"]}
            extra = present - set(self.keys)
            if len(extra) > 1 or len(present) > MAX_KEYS:
                raise Unexpected(f"{self.user} has keys {present}, ledger {set(self.keys)}")
            for akid in extra:  # created, but its secret never reached us
                iam.delete_access_key(UserName=self.user, AccessKeyId=akid)
        elif kind == "delete_key":
            present = {k["AccessKeyId"] for k in iam.list_access_keys(UserName=self.user)["AccessKeyMetadata"]}
            if p[1] not in present:
                self.keys.pop(p[1], None)
        elif kind == "create_version":
            doc, make_default = p[1], p[2]
            vs = iam.list_policy_versions(PolicyArn=self.policy_arn)["Versions"]
            extra = [v for v in vs if v["VersionId"] not in self.versions]
            if len(extra) > 1:
                raise Unexpected(f"{self.policy_name}: unknown versions {extra}")
            for v in extra:
                got = iam.get_policy_version(PolicyArn=self.policy_arn, VersionId=v["VersionId"])["PolicyVersion"]
                if not same_doc(got["Document"], doc):
                    raise Unexpected(f"{self.policy_name} {v['VersionId']}: document {got['Document']} is not the one sent")
                if v["IsDefaultVersion"] != make_default:
                    raise Unexpected(f"{self.policy_name} {v['VersionId']}: created half (default {v['IsDefaultVersion']})")
                self.versions[v["VersionId"]] = doc
                if make_default:
                    self.default = v["VersionId"]
        elif kind == "delete_version":
            vs = {v["VersionId"] for v in iam.list_policy_versions(PolicyArn=self.policy_arn)["Versions"]}
            if p[1] not in vs:
                self.versions.pop(p[1], None)
        elif kind in ("attach", "detach"):
            now = {a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=self.role)["AttachedPolicies"]}
            if p[1] in now:
                self.attached.add(p[1])
            else:
                self.attached.discard(p[1])
        elif kind in ("create_user", "delete_user"):
            name, tags = p[1], p[2]
            try:
                u = iam.get_user(UserName=name)["User"]
            except ClientError as e:
                if code_of(e) != "NoSuchEntity":
                    raise
                self.temp_users.pop(name, None)
            else:
                got = sorted(iam.list_user_tags(UserName=name)["Tags"], key=lambda t: t["Key"])
                if u["Path"] != self.temp_path or got != tags:
                    raise Unexpected(f"user {name} after an interrupted {kind} is half there: {u} tags {got}")
                self.temp_users[name] = tags

    def _resolve_upload(self, s3, completed: bool, extra_part=None):
        up, self.upload = self.upload, None
        if up is None:
            return
        try:
            parts = s3.list_parts(Bucket=self.bucket, Key=up["key"], UploadId=up["id"]).get("Parts", [])
        except ClientError as e:
            if code_of(e) == "NoSuchUpload" and completed:
                return
            raise Unexpected(f"upload {up['id']} of {up['key']}: {code_of(e)} although it was not completed")
        if completed:
            raise Unexpected(f"upload {up['id']} of {up['key']} still listed after it completed")
        got = {p["PartNumber"]: p["ETag"] for p in parts}
        want = dict(up["parts"])
        if extra_part and extra_part[0] in got:  # the interrupted UploadPart landed
            want[extra_part[0]] = extra_part[1]
        if got != want:
            raise Unexpected(f"upload {up['id']} of {up['key']}: parts {got}, acknowledged {want}")
        s3.abort_multipart_upload(Bucket=self.bucket, Key=up["key"], UploadId=up["id"])

    def verify(self, iam, s3, sts_for, full: bool):
        """The server against the ledger. `full` reads every object body back; otherwise the
        ones written since the last check and a sample of the rest."""
        keys = iam.list_access_keys(UserName=self.user)["AccessKeyMetadata"]
        got = {k["AccessKeyId"] for k in keys}
        if got != set(self.keys) or len(got) > MAX_KEYS:
            raise Unexpected(f"{self.user}: access keys {got}, acknowledged {set(self.keys)}")
        for akid, secret in self.keys.items():
            arn = sts_for(hg.Creds(akid, secret)).get_caller_identity()["Arn"]
            if arn != self.user_arn:
                raise Unexpected(f"key {akid} signs as {arn}")
        vs = iam.list_policy_versions(PolicyArn=self.policy_arn)["Versions"]
        got = {v["VersionId"] for v in vs}
        defaults = [v["VersionId"] for v in vs if v["IsDefaultVersion"]]
        if got != set(self.versions) or len(got) > MAX_VERSIONS or defaults != [self.default]:
            raise Unexpected(f"{self.policy_name}: versions {got} default {defaults}, ledger {sorted(self.versions)} {self.default}")
        pol = iam.get_policy(PolicyArn=self.policy_arn)["Policy"]
        if pol["DefaultVersionId"] != self.default:
            raise Unexpected(f"{self.policy_name}: default {pol['DefaultVersionId']}, ledger {self.default}")
        for vid in (self.versions if full else [self.default]):
            doc = iam.get_policy_version(PolicyArn=self.policy_arn, VersionId=vid)["PolicyVersion"]["Document"]
            if not same_doc(doc, self.versions[vid]):
                raise Unexpected(f"{self.policy_name} {vid}: document changed")
        att = {a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=self.role)["AttachedPolicies"]}
        if att != self.attached or len(att) > MAX_ATTACHED:
            raise Unexpected(f"{self.role}: attached {sorted(att)}, acknowledged {sorted(self.attached)}")
        users = {u["UserName"] for u in iam.list_users(PathPrefix=self.temp_path)["Users"]}
        if users != set(self.temp_users):
            raise Unexpected(f"users under {self.temp_path}: {sorted(users)}, acknowledged {sorted(self.temp_users)}")
        for name in users if full else list(users)[:2]:
            if sorted(iam.list_user_tags(UserName=name)["Tags"], key=lambda t: t["Key"]) != self.temp_users[name]:
                raise Unexpected(f"user {name}: tags changed")
        listed = {
            o["Key"]: o
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"w{self.i}/")
            for o in page.get("Contents", [])
        }
        present = {k: v for k, v in self.objects.items() if v}
        if set(listed) != set(present):
            raise Unexpected(f"objects {sorted(listed)}, acknowledged {sorted(present)}")
        for k, o in listed.items():
            if (o["Size"], o["ETag"]) != (present[k].size, present[k].etag):
                raise Unexpected(f"{k}: listed as {o['Size']} bytes {o['ETag']}, acknowledged {present[k]}")
        to_read = set(self.dirty) & set(present)
        if full:
            to_read = set(present)
        elif present:
            to_read |= set(self.rng.sample(sorted(present), min(2, len(present))))
        for k in sorted(to_read):
            if not self._same(self.read_object(s3, k), present[k]):
                raise Unexpected(f"{k}: body differs from the acknowledged one")
        self.dirty.clear()
        ups = s3.list_multipart_uploads(Bucket=self.bucket, Prefix=f"w{self.i}/").get("Uploads", [])
        if ups:
            raise Unexpected(f"uploads left after resolution: {ups}")

    def segments(self) -> int:
        return sum(o.segments for o in self.objects.values() if o)
