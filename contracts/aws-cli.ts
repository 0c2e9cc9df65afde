/**
 * The AWS CLI v2 the Ubuntu bootstraps install from the runner binaries bucket (Canonical's images have
 * none): which installer archives the syncer copies, where it puts them, and the key their signatures
 * are checked against.
 */

/**
 * AWS's signing key of the AWS CLI v2 installers ("AWS CLI Team <aws-cli@amazon.com>"), as published in the
 * AWS CLI User Guide, "Installing or updating to the latest version of the AWS CLI", Linux, "(Optional)
 * Verify the integrity and authenticity of your downloaded zip file"
 * (docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html). A public key, not a secret.
 * AWS extends its expiry from time to time: when the test on {@link AWS_CLI_SIGNING_KEY_EXPIRES} fails,
 * take the block again from that page and check its fingerprint against the page's.
 */
export const AWS_CLI_SIGNING_KEY = `-----BEGIN PGP PUBLIC KEY BLOCK-----

mQINBF2Cr7UBEADJZHcgusOJl7ENSyumXh85z0TRV0xJorM2B/JL0kHOyigQluUG
ZMLhENaG0bYatdrKP+3H91lvK050pXwnO/R7fB/FSTouki4ciIx5OuLlnJZIxSzx
PqGl0mkxImLNbGWoi6Lto0LYxqHN2iQtzlwTVmq9733zd3XfcXrZ3+LblHAgEt5G
TfNxEKJ8soPLyWmwDH6HWCnjZ/aIQRBTIQ05uVeEoYxSh6wOai7ss/KveoSNBbYz
gbdzoqI2Y8cgH2nbfgp3DSasaLZEdCSsIsK1u05CinE7k2qZ7KgKAUIcT/cR/grk
C6VwsnDU0OUCideXcQ8WeHutqvgZH1JgKDbznoIzeQHJD238GEu+eKhRHcz8/jeG
94zkcgJOz3KbZGYMiTh277Fvj9zzvZsbMBCedV1BTg3TqgvdX4bdkhf5cH+7NtWO
lrFj6UwAsGukBTAOxC0l/dnSmZhJ7Z1KmEWilro/gOrjtOxqRQutlIqG22TaqoPG
fYVN+en3Zwbt97kcgZDwqbuykNt64oZWc4XKCa3mprEGC3IbJTBFqglXmZ7l9ywG
EEUJYOlb2XrSuPWml39beWdKM8kzr1OjnlOm6+lpTRCBfo0wa9F8YZRhHPAkwKkX
XDeOGpWRj4ohOx0d2GWkyV5xyN14p2tQOCdOODmz80yUTgRpPVQUtOEhXQARAQAB
tCFBV1MgQ0xJIFRlYW0gPGF3cy1jbGlAYW1hem9uLmNvbT6JAlQEEwEIAD4CGwMF
CwkIBwIGFQoJCAsCBBYCAwECHgECF4AWIQT7Xbd/1cEYuAURraimMQrMRnJHXAUC
akV0ygUJDqP4lQAKCRCmMQrMRnJHXFHjD/9eyZLYcKuQOlLvtqSDtUBiEZf6ZZjM
i3ygYH8rJNtuToUH+HvSpe819urJCquXhDrlK6N+aqW0hCLtNABJG/vsafIgvIYJ
hSGgpgtNnQyMV1jViRWqPjbouw8OkYKBThUfT1i2Y+wn58ifs6ODBCmTexWtXspA
Si+Gt49xDOW0APmbOPnI+a4HJW6tVEo6MWS0WjzpiBayR3d1A4pt4YrPfSdDgpLo
h2SLQqlRqvvVZJaWBjhkErNFpfsBA06sDcPEOb0G8LBUbR4WOcdvhe5LubJbZuxC
AG9kNPCVeQP1ixwjgjXKysaxeQ6rv0VzIQgRp6tLVLWhy6AKDNvLjFSsmXZ1Wl08
Y/RlOHXlzLuQMRE6sR1wOdRxc9TsrNWTGiBK65cvSWOy03JeBkQQ8pesqltiyxI9
U21kkgiXtTSKNGfKK8pO27D81YANhRqPK7iTp6kuFiY2WtOg90KTMNlIT+Ff85Y2
b1rHj6Z0SrCkJujhWk3IBPic/wJgz01LEc/OAdUPlby90RJZcIBhSlWhT7mXnXIO
c0HWlNQrns2s3CTyYwZSiSlYe9ApeLwhjDo8NhbFuCAy61l6O5UsR4AfZxx/rGKv
2wFb1/RN/P4gNe6vmxZAPjR0AQcwD3tc2McimOLr/22kmPz8IH3I0X7WoSFr0Biz
E91G7bb0hOb/cA==
=knv7
-----END PGP PUBLIC KEY BLOCK-----
`;

/** The key's fingerprint as the same page prints it ("Key fingerprint: FB5D B77F D5C1 18B8 0511 ADA8 A631 0ACC 4672 475C"). */
export const AWS_CLI_SIGNING_KEY_FINGERPRINT = "FB5D B77F D5C1 18B8 0511  ADA8 A631 0ACC 4672 475C";
/** The key's expiry as the page prints it; the syncer refuses signatures once it has passed. */
export const AWS_CLI_SIGNING_KEY_EXPIRES = "2027-07-01";

/** Where AWS publishes the installers (`<name>` and `<name>.sig`). */
export const AWS_CLI_DOWNLOAD_URL = "https://awscli.amazonaws.com";

/** Installer archive per runner platform (contracts/runner-binaries.ts RUNNER_PLATFORMS), as AWS names them after `uname -m`. */
export const AWS_CLI_ARCHIVES = {
  "linux-x64": "awscli-exe-linux-x86_64.zip",
  "linux-arm64": "awscli-exe-linux-aarch64.zip",
} as const;
export type AwsCliPlatform = keyof typeof AWS_CLI_ARCHIVES;

/**
 * Object key of a verified installer, under the binaries prefix: addressed by its SHA-256, so a newer CLI
 * never overwrites the object an instance is about to read after the manifest.
 */
export function awsCliObjectKey(prefix: string, platform: AwsCliPlatform, sha256: string): string {
  return `${prefix}awscli/${sha256}/${AWS_CLI_ARCHIVES[platform]}`;
}
