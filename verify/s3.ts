import * as crypto from "crypto";

/** A signed (AWS Signature V4) HEAD on a bucket: does it exist, and do these credentials reach it? */
export async function headBucket(endpoint: string, region: string, bucket: string, accessKey: string, secretKey: string): Promise<number> {
    const url = new URL(`${endpoint.replace(/\/$/, "")}/${bucket}`);
    const now = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const date = now.slice(0, 8);
    const payloadHash = crypto.createHash("sha256").update("").digest("hex");
    const headers: Record<string, string> = { host: url.host, "x-amz-content-sha256": payloadHash, "x-amz-date": now };
    const signed = Object.keys(headers).sort();
    const canonicalHeaders = signed.map((h) => `${h}:${headers[h]}\n`).join("");
    const canonicalRequest = ["HEAD", url.pathname, "", canonicalHeaders, signed.join(";"), payloadHash].join("\n");
    const scope = `${date}/${region}/s3/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", now, scope, crypto.createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
    const hmac = (key: crypto.BinaryLike, data: string) => crypto.createHmac("sha256", key).update(data).digest();
    const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, date), region), "s3"), "aws4_request");
    const signature = crypto.createHmac("sha256", signingKey).update(toSign).digest("hex");
    const res = await fetch(url, {
        method: "HEAD",
        headers: {
            "x-amz-content-sha256": payloadHash,
            "x-amz-date": now,
            Authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${signature}`,
        },
    });
    return res.status;
}
