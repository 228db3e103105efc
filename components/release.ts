import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "./versions";

/**
 * A release pin: the images (by digest) and the SQL an environment ran, written by
 * `npm run promote -- --from <stack> --to <stack>` and committed, so the next environment deploys
 * exactly those instead of building its own.
 */
export interface Release {
    /** The stack these images come from. */
    from: string;
    /** sha256 of the pipeline SQL inside the flink-job image. */
    sqlSha256: string;
    /** Image name (flink-job, trino, superset, generator) -> `<repository>@sha256:<digest>`. */
    images: Record<string, string>;
}

export const releaseImages = ["flink-job", "trino", "superset", "generator"] as const;

const digestRef = /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$/;

/** Problems with a release's content; empty when it can be deployed. */
export function releaseProblems(r: Partial<Release>): string[] {
    const problems: string[] = [];
    if (!r.from) problems.push("no 'from' stack");
    if (!/^[0-9a-f]{64}$/.test(r.sqlSha256 ?? "")) problems.push("'sqlSha256' is not a sha256");
    for (const name of releaseImages) {
        const ref = r.images?.[name];
        if (!ref) problems.push(`no image '${name}'`);
        else if (!digestRef.test(ref)) problems.push(`image '${name}' is not pinned by digest (<registry>/<repo>@sha256:...): ${ref}`);
    }
    return problems;
}

export function loadRelease(file: string): Release {
    const full = path.resolve(repoRoot, file);
    if (!fs.existsSync(full)) {
        throw new Error(`lakehouse:release: ${file} does not exist; write it with npm run promote -- --from <stack> --to <stack>`);
    }
    const release = JSON.parse(fs.readFileSync(full, "utf8")) as Release;
    const problems = releaseProblems(release);
    if (problems.length) {
        throw new Error(`lakehouse:release: ${file} cannot be deployed: ${problems.join("; ")}`);
    }
    return release;
}

export function sha256(text: string): string {
    return crypto.createHash("sha256").update(text).digest("hex");
}
