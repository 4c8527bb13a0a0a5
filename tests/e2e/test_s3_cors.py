"""CORS: Put/Get/DeleteBucketCors through boto3 and the aws CLI, preflight OPTIONS answered
from the rules, Access-Control-* headers on actual requests (errors included), and the
browser upload flow end to end in a real headless Chromium: a page served from another
origin posts a file with a presigned POST form, reads the answer, then PUTs (preflighted)
and GETs with presigned URLs."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import threading

import pytest
import requests

from hg import expect_error, unique
from s3util import allow, assume_role, s3_client


BUCKET_PREFIX = "cors"


RULES = [
    {
        "ID": "app",
        "AllowedOrigins": ["https://app.example.com", "https://*.example.org"],
        "AllowedMethods": ["GET", "PUT", "POST"],
        "AllowedHeaders": ["content-type", "x-amz-*"],
        "ExposeHeaders": ["ETag", "x-amz-version-id"],
        "MaxAgeSeconds": 600,
    },
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"]},
]


def test_bucket_cors_crud_and_validation(s3, bucket):
    expect_error(s3.get_bucket_cors, Bucket=bucket, code="NoSuchCORSConfiguration", status=404)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES
    for bad, code in [
        ([{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}], "InvalidRequest"),
        ([{"AllowedOrigins": ["*.*"], "AllowedMethods": ["GET"]}], "InvalidRequest"),
        ([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}] * 101, "InvalidRequest"),
    ]:
        expect_error(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration={"CORSRules": bad}, code=code, status=400)
    # Refused documents changed nothing.
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES
    s3.delete_bucket_cors(Bucket=bucket)
    expect_error(s3.get_bucket_cors, Bucket=bucket, code="NoSuchCORSConfiguration", status=404)
    expect_error(s3.get_bucket_cors, Bucket=unique("none"), code="NoSuchBucket", status=404)


def test_cors_is_authorized(server, s3, bucket):
    arn = f"arn:aws:s3:::{bucket}"
    reader, _ = assume_role(server, allow("s3:GetBucketCORS", resource=arn))
    c = s3_client(server.endpoint, reader)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES[1:]})
    assert c.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES[1:]
    expect_error(c.put_bucket_cors, Bucket=bucket, CORSConfiguration={"CORSRules": RULES}, code="AccessDenied", status=403)
    expect_error(c.delete_bucket_cors, Bucket=bucket, code="AccessDenied", status=403)


def preflight(server, path, origin, method, headers=None):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return requests.options(f"{server.endpoint}{path}", headers=h, timeout=10)


def test_preflight_and_actual_request_headers(server, s3, bucket):
    r = preflight(server, f"/{bucket}/k", "https://app.example.com", "PUT")
    assert r.status_code == 403 and "<Code>AccessForbidden</Code>" in r.text
    assert "CORS is not enabled" in r.text
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})

    r = preflight(server, f"/{bucket}/k", "https://app.example.com", "PUT", "Content-Type, X-Amz-Date")
    assert r.status_code == 200, r.text
    h = r.headers
    assert h["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert h["Access-Control-Allow-Methods"] == "GET, PUT, POST"
    assert h["Access-Control-Allow-Headers"] == "Content-Type, X-Amz-Date"
    assert h["Access-Control-Expose-Headers"] == "ETag, x-amz-version-id"
    assert h["Access-Control-Max-Age"] == "600"
    assert h["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in h["Vary"]
    # Wildcard origin rule; the bucket itself as target.
    r = preflight(server, f"/{bucket}", "https://x.example.org", "POST")
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "https://x.example.org"
    r = preflight(server, f"/{bucket}/k", "https://elsewhere.net", "GET")
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    # No rule matches: 403.
    for origin, method, hdrs in [
        ("https://elsewhere.net", "PUT", None),
        ("https://app.example.com", "DELETE", None),
        ("https://app.example.com", "PUT", "authorization"),
    ]:
        r = preflight(server, f"/{bucket}/k", origin, method, hdrs)
        assert r.status_code == 403 and "<Code>AccessForbidden</Code>" in r.text, (origin, method)
        assert "Access-Control-Allow-Origin" not in r.headers
    # Bad preflights.
    r = requests.options(f"{server.endpoint}/{bucket}/k", headers={"Access-Control-Request-Method": "GET"}, timeout=10)
    assert r.status_code == 400 and "<Code>BadRequest</Code>" in r.text
    r = preflight(server, f"/{bucket}/k", "https://app.example.com", "TRACE")
    assert r.status_code == 400
    r = preflight(server, f"/{unique('none')}/k", "https://app.example.com", "GET")
    assert r.status_code == 404

    # Actual requests with Origin get the headers, errors included.
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    r = requests.get(url, headers={"Origin": "https://app.example.com"}, timeout=10)
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert r.headers["Access-Control-Expose-Headers"] == "ETag, x-amz-version-id"
    r = requests.get(f"{server.endpoint}/{bucket}/k", headers={"Origin": "https://app.example.com"}, timeout=10)
    assert r.status_code == 403 and r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    r = requests.get(url, timeout=10)
    assert "Access-Control-Allow-Origin" not in r.headers
    r = requests.delete(f"{server.endpoint}/{bucket}/k", headers={"Origin": "https://app.example.com"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in r.headers


def test_aws_cli_cors(server, creds, bucket):
    cli = lambda *args: server.cli(list(args), creds)  # noqa: E731
    cfg = json.dumps({"CORSRules": RULES[1:]})
    cli("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration", cfg).ok()
    assert cli("s3api", "get-bucket-cors", "--bucket", bucket).ok()["CORSRules"] == RULES[1:]
    cli("s3api", "delete-bucket-cors", "--bucket", bucket).ok()


# --- a real browser --------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html><body>
<input type="file" id="file">
<button id="go">upload</button>
<pre id="result"></pre>
<script>
const cfg = %s;
document.getElementById("go").onclick = async () => {
  const out = {};
  try {
    const fd = new FormData();
    for (const [k, v] of Object.entries(cfg.post.fields)) fd.append(k, v);
    fd.append("file", document.getElementById("file").files[0]);
    const r = await fetch(cfg.post.url, {method: "POST", body: fd});
    out.postStatus = r.status;
    out.postBody = await r.text();
    out.postETag = r.headers.get("ETag");
    const g = await fetch(cfg.get);
    out.getStatus = g.status;
    out.getBody = await g.text();
    const p = await fetch(cfg.put, {method: "PUT", body: "from the page", headers: {"Content-Type": "text/plain"}});
    out.putStatus = p.status;
    const fd2 = new FormData();
    for (const [k, v] of Object.entries(cfg.denied.fields)) fd2.append(k, v);
    fd2.append("file", document.getElementById("file").files[0]);
    const denied = await fetch(cfg.denied.url, {method: "POST", body: fd2});
    out.deniedStatus = denied.status;
    out.deniedBody = await denied.text();
  } catch (e) {
    out.error = String(e);
  }
  document.getElementById("result").textContent = JSON.stringify(out);
};
</script>
</body></html>
"""


def serve_page(html: str):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def chromium():
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        if os.environ.get("CI"):
            raise AssertionError("chromium and chromedriver must be installed (.ci/run installs them)")
        pytest.skip("chromium / chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]:
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)


def test_browser_upload_from_another_origin(server, s3, bucket, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    arn = f"arn:aws:s3:::{bucket}"
    creds, _ = assume_role(server, allow("s3:PutObject", "s3:GetObject", resource=f"{arn}/browser/*"))
    app = s3_client(server.endpoint, creds, signature_version="s3v4")
    post = app.generate_presigned_post(
        Bucket=bucket, Key="browser/${filename}",
        Fields={"success_action_status": "201"},
        Conditions=[["starts-with", "$key", "browser/"], {"success_action_status": "201"}],
        ExpiresIn=600,
    )
    # A second form for a key the role may not write: the page reads the 403 too.
    denied = app.generate_presigned_post(Bucket=bucket, Key="elsewhere/x", ExpiresIn=600)
    cfg = {
        "post": post,
        "get": app.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "browser/photo.txt"}),
        "put": app.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "browser/put.txt", "ContentType": "text/plain"}),
        "denied": denied,
    }
    httpd = serve_page(PAGE % json.dumps(cfg))
    page_origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    assert page_origin != server.endpoint
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [page_origin], "AllowedMethods": ["GET", "PUT", "POST"],
        "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"],
    }]})
    upload = tmp_path / "photo.txt"
    upload.write_bytes(b"picked in the browser")
    driver = chromium()
    try:
        driver.get(page_origin + "/")
        driver.find_element(By.ID, "file").send_keys(str(upload))
        driver.find_element(By.ID, "go").click()
        text = WebDriverWait(driver, 60).until(
            lambda d: d.find_element(By.ID, "result").text or False
        )
    finally:
        driver.quit()
        httpd.shutdown()
    out = json.loads(text)
    assert "error" not in out, json.dumps(out)[-600:]
    assert out["postStatus"] == 201 and "<Key>browser/photo.txt</Key>" in out["postBody"], out
    assert out["postETag"] and out["postETag"].startswith('"')
    assert out["getStatus"] == 200 and out["getBody"] == "picked in the browser"
    assert out["putStatus"] == 200
    assert s3.get_object(Bucket=bucket, Key="browser/put.txt")["Body"].read() == b"from the page"
    # The refused upload's error carries the CORS headers too, so the page can read why.
    assert out["deniedStatus"] == 403 and "<Code>AccessDenied</Code>" in out["deniedBody"], out
