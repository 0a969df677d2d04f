"""A self-made certificate chain shaped like Apple's: a root, a WWDR intermediate, and a
pass type certificate signed by it; plus a checker for a pass's detached PKCS#7 signature."""
import hashlib
from datetime import datetime, timedelta, timezone

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

PASS_TYPE_ID = "pass.com.westhillsmassage.gift"
TEAM_ID = "A1B2C3D4E5"
KEY_PASSWORD = "wallet key passphrase"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, key, issuer, issuer_key, *, ca: bool) -> x509.Certificate:
    now = datetime.now(timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))


def make_chain(directory) -> dict:
    """Write root.pem, wwdr.pem, pass.pem and pass.key (encrypted) into `directory`;
    returns their paths and the certificates."""
    root_key, wwdr_key, pass_key = (rsa.generate_private_key(public_exponent=65537,
                                                              key_size=2048) for _ in range(3))
    root = _certificate(_name("Test Root CA"), root_key, _name("Test Root CA"), root_key, ca=True)
    wwdr = _certificate(_name("Test WWDR"), wwdr_key, root.subject, root_key, ca=True)
    leaf = _certificate(_name(f"Pass Type ID: {PASS_TYPE_ID}"), pass_key, wwdr.subject, wwdr_key,
                        ca=False)
    paths = {name: directory / name for name in ("root.pem", "wwdr.pem", "pass.pem", "pass.key")}
    for name, cert in (("root.pem", root), ("wwdr.pem", wwdr), ("pass.pem", leaf)):
        paths[name].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["pass.key"].write_bytes(pass_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(KEY_PASSWORD.encode())))
    return {"paths": paths, "root": root, "wwdr": wwdr, "leaf": leaf}


def passkit_settings(chain: dict) -> dict:
    paths = chain["paths"]
    return {"PASSKIT_CERT": str(paths["pass.pem"]), "PASSKIT_KEY": str(paths["pass.key"]),
            "PASSKIT_WWDR": str(paths["wwdr.pem"]), "PASSKIT_KEY_PASSWORD": KEY_PASSWORD,
            "PASSKIT_PASS_TYPE_ID": PASS_TYPE_ID, "PASSKIT_TEAM_ID": TEAM_ID}


def verify_detached_signature(signature: bytes, content: bytes, chain: dict) -> x509.Certificate:
    """Check a DER PKCS#7 detached signature of `content` the way a verifier would: no
    embedded content, the signed messageDigest equals the content's hash, the signer's
    RSA signature over the signed attributes holds, and signer → WWDR → root chains.
    Returns the signer's certificate; raises (AssertionError or InvalidSignature) otherwise."""
    signed_data = cms.ContentInfo.load(signature)["content"]
    assert signed_data["encap_content_info"]["content"].native is None  # detached
    certificates = [x509.load_der_x509_certificate(c.chosen.dump())
                    for c in signed_data["certificates"]]
    (signer_info,) = signed_data["signer_infos"]
    serial = signer_info["sid"].chosen["serial_number"].native
    (signer,) = [c for c in certificates if c.serial_number == serial]
    assert chain["wwdr"] in certificates  # the intermediate travels with the pass
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    algorithm = {"sha256": hashes.SHA256(), "sha1": hashes.SHA1()}[digest_name]
    attributes = {a["type"].native: a["values"][0].native for a in signer_info["signed_attrs"]}
    assert attributes["message_digest"] == hashlib.new(digest_name, content).digest()
    assert "signing_time" in attributes
    # The signature covers the attributes' DER as a SET, not as the [0]-tagged field.
    signed_attrs = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    signer.public_key().verify(signer_info["signature"].native, signed_attrs,
                               padding.PKCS1v15(), algorithm)
    signer.verify_directly_issued_by(chain["wwdr"])
    chain["wwdr"].verify_directly_issued_by(chain["root"])
    return signer
