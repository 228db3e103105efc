import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { LakehouseConfig, parseConfig } from "../components/config";
import { repoRoot } from "../components/versions";

/**
 * How the npm scripts run the Pulumi CLI: through the `pulumi` npm package's launcher, at the version
 * of the SDK the program pins (@pulumi/pulumi), against a local `file://` backend in `.pulumi-state/`
 * (unless PULUMI_BACKEND_URL is set) with a generated passphrase kept beside it (unless a passphrase
 * or secrets provider is given), so no Pulumi Cloud account is needed.
 */

export const pulumiBin = path.join(repoRoot, "node_modules", ".bin", "pulumi");
export const stateDir = path.join(repoRoot, ".pulumi-state");

/** The SDK version package.json pins: the CLI that runs the program is the same release. */
export function sdkVersion(): string {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
    return pkg.dependencies["@pulumi/pulumi"];
}

export function pulumiEnv(base: NodeJS.ProcessEnv = process.env, dir: string = stateDir): NodeJS.ProcessEnv {
    // The launcher runs (and on first use downloads) the CLI release named by PULUMI_VERSION.
    const env: NodeJS.ProcessEnv = { PULUMI_VERSION: sdkVersion(), ...base, PULUMI_SKIP_UPDATE_CHECK: "true" };
    if (!env.PULUMI_BACKEND_URL) {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        env.PULUMI_BACKEND_URL = `file://${dir}`;
    }
    if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const passFile = path.join(dir, "passphrase");
        if (!fs.existsSync(passFile)) fs.writeFileSync(passFile, crypto.randomBytes(24).toString("base64url"), { mode: 0o600 });
        env.PULUMI_CONFIG_PASSPHRASE_FILE = passFile;
    }
    return env;
}

/** The stack's `lakehouse:` settings as the program will see them, read from its stack file. */
export function stackConfig(stack: string): LakehouseConfig {
    const file = path.join(repoRoot, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`no stack file ${path.basename(file)}`);
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries((YAML.parse(fs.readFileSync(file, "utf8"))?.config ?? {}) as Record<string, unknown>)) {
        raw[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return parseConfig(raw);
}

/** `--stack NAME` from argv, else PULUMI_STACK, else dev; returns the stack and the remaining args. */
export function stackArg(argv: string[]): { stack: string; rest: string[] } {
    const i = argv.indexOf("--stack");
    const stack = i >= 0 ? argv[i + 1] : process.env.PULUMI_STACK ?? "dev";
    return { stack, rest: argv.filter((_, j) => i < 0 || (j !== i && j !== i + 1)) };
}

/** Context names of the kubeconfig kubectl would use (KUBECONFIG's files, else ~/.kube/config). */
export function kubeContexts(env: NodeJS.ProcessEnv = process.env): string[] {
    const files = env.KUBECONFIG ? env.KUBECONFIG.split(path.delimiter).filter(Boolean) : [path.join(os.homedir(), ".kube", "config")];
    return files.flatMap((f) => {
        try {
            const doc = YAML.parse(fs.readFileSync(f, "utf8")) as { contexts?: { name: string }[] } | null;
            return (doc?.contexts ?? []).map((c) => c.name);
        } catch {
            return [];
        }
    });
}
