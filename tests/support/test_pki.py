"""Throwaway certificate authorities and certificates made at test time with the openssl
command (P-256 keys, valid two days): server certificates for 127.0.0.1 and client
certificates for mutual TLS."""
import os
import subprocess


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(directory, name):
    """Writes {name}-ca.pem and {name}-ca.key; returns the path of the certificate."""
    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", f"{name}-ca.key", "-out", f"{name}-ca.pem", "-days", "2",
            "-subj", f"/CN=CityTwin test CA {name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    return os.path.join(directory, f"{name}-ca.pem")


def issue(directory, ca, name, subject, extensions, days="2"):
    """Writes {name}.pem and {name}.key signed by CA `ca` (a make_ca name); returns both paths.
    days="-1" makes a certificate that expired yesterday."""
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=directory)
    with open(os.path.join(directory, f"{name}-ext.cnf"), "w") as ext:
        ext.write(extensions)
    if days.startswith("-"):
        # x509 -days cannot go back in time: sign with explicit past dates instead.
        openssl("ca", "-batch", "-notext", "-in", f"{name}.csr",
                "-cert", f"{ca}-ca.pem", "-keyfile", f"{ca}-ca.key", "-startdate",
                "20200101000000Z", "-enddate", "20200102000000Z", "-extfile", f"{name}-ext.cnf",
                "-config", _ca_config(directory), "-out", f"{name}.pem", cwd=directory)
    else:
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}-ca.pem",
                "-CAkey", f"{ca}-ca.key", "-CAcreateserial", "-days", days,
                "-extfile", f"{name}-ext.cnf", "-out", f"{name}.pem", cwd=directory)
    return os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key")


def _ca_config(directory):
    """A minimal `openssl ca` configuration in `directory` (database files included)."""
    path = os.path.join(directory, "ca.cnf")
    if not os.path.exists(path):
        open(os.path.join(directory, "index.txt"), "w").close()
        with open(os.path.join(directory, "serial"), "w") as serial:
            serial.write("1000\n")
        with open(path, "w") as config:
            config.write("[ca]\ndefault_ca = test\n[test]\ndir = .\ndatabase = index.txt\n"
                         "serial = serial\nnew_certs_dir = .\ndefault_md = sha256\n"
                         "policy = anything\nunique_subject = no\n"
                         "[anything]\ncommonName = supplied\n")
    return path


def make_ca_and_server_cert(directory, name):
    """Writes {name}-ca.pem and {name}-server.{pem,key} (SAN IP:127.0.0.1) into directory;
    returns the path of the CA certificate."""
    ca = make_ca(directory, name)
    issue(directory, name, f"{name}-server", "/CN=127.0.0.1",
          "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    return ca


def make_client_cert(directory, ca, name, common_name, days="2"):
    """A client certificate (extendedKeyUsage clientAuth) with subject CN `common_name`."""
    return issue(directory, ca, name, f"/CN={common_name}",
                 "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n", days=days)
