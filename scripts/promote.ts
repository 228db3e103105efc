import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { Release, releaseProblems } from "../components/release";
import { repoRoot } from "../components/versions";
import { pulumiBin, pulumiEnv } from "./pulumiCli";

/**
 * `npm run promote -- --from staging --to prod`: pins what `--from` runs (its image digests and the
 * sha256 of the SQL inside the job image, read from its stack outputs) into `releases/<to>.json`.
 * Commit that file: the next `pulumi up` of `--to` deploys exactly those images, builds nothing, and
 * the pull request shows what is promoted.
 */

export function releaseFromOutputs(from: string, outputs: Record<string, unknown>): Release {
    const release: Release = {
        from,
        sqlSha256: String(outputs.flinkSqlSha256 ?? ""),
        images: (outputs.imageRefs ?? {}) as Record<string, string>,
    };
    const problems = releaseProblems(release);
    if (problems.length) {
        throw new Error(`stack ${from} cannot be promoted: ${problems.join("; ")} (only stacks that push to a registry have digests; dev on kind does not)`);
    }
    return release;
}

function arg(name: string): string {
    const i = process.argv.indexOf(`--${name}`);
    const value = i >= 0 ? process.argv[i + 1] : undefined;
    if (!value) {
        console.error(`promote: --${name} <stack> is required (npm run promote -- --from staging --to prod)`);
        process.exit(2);
    }
    return value;
}

if (require.main === module) {
    const from = arg("from");
    const to = arg("to");
    const releaseFile = `releases/${to}.json`;
    const stackFile = path.join(repoRoot, `Pulumi.${to}.yaml`);
    const configured = fs.existsSync(stackFile) ? YAML.parse(fs.readFileSync(stackFile, "utf8"))?.config?.["lakehouse:release"] : undefined;
    if (configured !== releaseFile) {
        console.error(`promote: Pulumi.${to}.yaml must set lakehouse:release: ${releaseFile} (it has ${configured ?? "none"})`);
        process.exit(1);
    }
    const r = spawnSync(pulumiBin, ["stack", "output", "--json", "--stack", from], { encoding: "utf8", env: pulumiEnv() });
    if (r.status !== 0) {
        console.error(`promote: cannot read the outputs of stack ${from}: ${r.stderr}`);
        process.exit(1);
    }
    try {
        const release = releaseFromOutputs(from, JSON.parse(r.stdout));
        const target = path.join(repoRoot, releaseFile);
        const before = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
        const after = JSON.stringify(release, null, 2) + "\n";
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, after);
        console.log(before === after ? `promote: ${releaseFile} already pins what ${from} runs` : `promote: wrote ${releaseFile}; commit it to deploy it to ${to}`);
    } catch (e) {
        console.error(`promote: ${(e as Error).message}`);
        process.exit(1);
    }
}
