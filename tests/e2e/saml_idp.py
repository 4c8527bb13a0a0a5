"""A local SAML 2.0 identity provider for the tests: an RSA signing key with a self-signed
certificate (Python `cryptography`), IdP metadata naming it, and responses built with lxml
and signed with `signxml` (enveloped signature, exclusive c14n, RSA-SHA256) — an XML
signature implementation independent of the server's."""

from __future__ import annotations

import base64
import datetime as dt
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner, methods

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
AWS_SAML = "https://signin.aws.amazon.com/saml"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def _ts(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id() -> str:
    return "_" + uuid.uuid4().hex


class SigningKey:
    """An RSA key and a self-signed certificate for it."""

    def __init__(self, cn: str = "hourglass-test-idp", bits: int = 2048):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .sign(self.key, hashes.SHA256())
        )
        self.key_pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)
        self.cert_b64 = base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def sign(self, element: etree._Element) -> etree._Element:
        """`element` with an enveloped signature over it (by its ID), as IdPs sign."""
        signer = XMLSigner(
            method=methods.enveloped,
            signature_algorithm="rsa-sha256",
            digest_algorithm="sha256",
            c14n_algorithm=EXC_C14N,
        )
        return signer.sign(
            element, key=self.key_pem, cert=self.cert_pem, reference_uri="#" + element.get("ID")
        )


class Idp:
    """An identity provider with an entity id and one (or more) signing keys."""

    def __init__(self, entity_id: str | None = None):
        self.entity_id = entity_id or f"https://idp-{uuid.uuid4().hex[:8]}.example.com/saml"
        self.key = SigningKey()

    def metadata(self, keys: list[SigningKey] | None = None, valid_until: str | None = None) -> str:
        keys = keys or [self.key]
        descriptors = "".join(
            f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
            f"<ds:X509Certificate>{k.cert_b64}</ds:X509Certificate>"
            f"</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            for k in keys
        )
        vu = f' validUntil="{valid_until}"' if valid_until else ""
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{DS}" entityID="{self.entity_id}"{vu}>'
            f'<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f"{descriptors}"
            f'<md:NameIDFormat>{PERSISTENT}</md:NameIDFormat>'
            f'<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            f'Location="{self.entity_id}/sso"/>'
            f"</md:IDPSSODescriptor></md:EntityDescriptor>"
        )

    def assertion(
        self,
        *,
        roles: list[str],
        session_name: str | None = "alice",
        subject: str = "alice@example.com",
        audience: str = AWS_SAML,
        recipient: str = AWS_SAML,
        issuer: str | None = None,
        not_on_or_after: dt.timedelta = dt.timedelta(minutes=5),
        attributes: dict[str, list[str]] | None = None,
        session_not_on_or_after: dt.datetime | None = None,
    ) -> etree._Element:
        now = dt.datetime.now(dt.timezone.utc)
        until = _ts(now + not_on_or_after)
        a = etree.Element(f"{{{SAML}}}Assertion", nsmap={"saml": SAML})
        a.set("ID", _id())
        a.set("Version", "2.0")
        a.set("IssueInstant", _ts(now))
        etree.SubElement(a, f"{{{SAML}}}Issuer").text = issuer or self.entity_id
        subj = etree.SubElement(a, f"{{{SAML}}}Subject")
        nid = etree.SubElement(subj, f"{{{SAML}}}NameID", Format=PERSISTENT)
        nid.text = subject
        sc = etree.SubElement(
            subj, f"{{{SAML}}}SubjectConfirmation", Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"
        )
        etree.SubElement(sc, f"{{{SAML}}}SubjectConfirmationData", NotOnOrAfter=until, Recipient=recipient)
        cond = etree.SubElement(
            a, f"{{{SAML}}}Conditions", NotBefore=_ts(now - dt.timedelta(minutes=1)), NotOnOrAfter=until
        )
        ar = etree.SubElement(cond, f"{{{SAML}}}AudienceRestriction")
        etree.SubElement(ar, f"{{{SAML}}}Audience").text = audience
        authn = etree.SubElement(a, f"{{{SAML}}}AuthnStatement", AuthnInstant=_ts(now))
        if session_not_on_or_after is not None:
            authn.set("SessionNotOnOrAfter", _ts(session_not_on_or_after))
        ctx = etree.SubElement(authn, f"{{{SAML}}}AuthnContext")
        etree.SubElement(ctx, f"{{{SAML}}}AuthnContextClassRef").text = (
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        )
        attrs: dict[str, list[str]] = {f"{ATTR}Role": roles}
        if session_name is not None:
            attrs[f"{ATTR}RoleSessionName"] = [session_name]
        attrs.update(attributes or {})
        st = etree.SubElement(a, f"{{{SAML}}}AttributeStatement")
        for name, values in attrs.items():
            at = etree.SubElement(st, f"{{{SAML}}}Attribute", Name=name)
            for v in values:
                etree.SubElement(at, f"{{{SAML}}}AttributeValue").text = v
        return a

    def response(
        self,
        assertion: etree._Element,
        *,
        sign_assertion: bool = True,
        sign_response: bool = False,
        key: SigningKey | None = None,
        destination: str = AWS_SAML,
    ) -> etree._Element:
        key = key or self.key
        if sign_assertion:
            assertion = key.sign(assertion)
        now = dt.datetime.now(dt.timezone.utc)
        r = etree.Element(f"{{{SAMLP}}}Response", nsmap={"samlp": SAMLP, "saml": SAML})
        r.set("ID", _id())
        r.set("Version", "2.0")
        r.set("IssueInstant", _ts(now))
        r.set("Destination", destination)
        etree.SubElement(r, f"{{{SAML}}}Issuer").text = self.entity_id
        status = etree.SubElement(r, f"{{{SAMLP}}}Status")
        etree.SubElement(status, f"{{{SAMLP}}}StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:Success")
        r.append(assertion)
        if sign_response:
            r = key.sign(r)
        return r


def encode(element: etree._Element | str | bytes) -> str:
    """The base64 `SAMLAssertion` parameter for a response."""
    if isinstance(element, etree._Element):
        element = etree.tostring(element)
    if isinstance(element, str):
        element = element.encode()
    return base64.b64encode(element).decode()


def xml(element: etree._Element) -> str:
    return etree.tostring(element).decode()
