import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** Certificates drkit issues live five years and are renewed by the `pulumi up` in the last 180 days. */
const CERT_VALIDITY_HOURS = 5 * 365 * 24;
const CERT_RENEWAL_HOURS = 180 * 24;

/** A key pair signed by a stack's own CA, as PEM. */
export interface IssuedPair {
  cert: pulumi.Output<string>;
  key: pulumi.Output<string>;
}

/** A private CA made at deploy time (ECDSA P-256), and what it signs. */
export interface CertificateAuthority {
  certPem: pulumi.Output<string>;
  /** A certificate for `commonName` with `uses` (`server_auth`, `client_auth`) and the names a peer checks. */
  issue(part: string, commonName: pulumi.Input<string>, uses: string[], dnsNames: pulumi.Input<pulumi.Input<string>[]>, ipAddresses?: pulumi.Input<pulumi.Input<string>[]>): IssuedPair;
}

/**
 * A CA for one server's TLS, its key in the stack's state only (a Pulumi secret): the servers
 * prove themselves to clients that hold `certPem`, and mutual TLS clients prove themselves back.
 * Resources are named `<name>-ca`, `<name>-<part>-key|request|cert`.
 */
export function certificateAuthority(name: string, commonName: string, opts: pulumi.CustomResourceOptions): CertificateAuthority {
  const key = (part: string) => new tls.PrivateKey(`${name}-${part}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, opts);
  const caKey = key("ca");
  const ca = new tls.SelfSignedCert(
    `${name}-ca`,
    {
      privateKeyPem: caKey.privateKeyPem,
      isCaCertificate: true,
      subject: { commonName },
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      validityPeriodHours: CERT_VALIDITY_HOURS,
      earlyRenewalHours: CERT_RENEWAL_HOURS,
    },
    opts,
  );
  return {
    certPem: ca.certPem,
    issue(part, subject, uses, dnsNames, ipAddresses) {
      const privateKey = key(part);
      const request = new tls.CertRequest(
        `${name}-${part}-request`,
        { privateKeyPem: privateKey.privateKeyPem, subject: { commonName: subject }, dnsNames, ...(ipAddresses ? { ipAddresses } : {}) },
        opts,
      );
      const cert = new tls.LocallySignedCert(
        `${name}-${part}-cert`,
        {
          certRequestPem: request.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: ca.certPem,
          allowedUses: ["digital_signature", "key_encipherment", ...uses],
          validityPeriodHours: CERT_VALIDITY_HOURS,
          earlyRenewalHours: CERT_RENEWAL_HOURS,
        },
        opts,
      );
      return { cert: cert.certPem, key: privateKey.privateKeyPem };
    },
  };
}
