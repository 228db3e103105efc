import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../../components/versions";
import { pulumiEnv, sdkVersion } from "../../scripts/pulumiCli";
import { Toolchain } from "./toolchain";

/**
 * The Pulumi engine as users run it, set up in a run directory: a PULUMI_HOME whose
 * `versions/<sdk version>/bin` holds the built CLI, so the `pulumi` npm package's launcher (what
 * `npm run up` calls) runs it instead of downloading one; beside it the Node.js language host, the
 * built kubernetes provider and the random stand-in, which the engine finds there as ambient plugins
 * (the launcher puts that directory first on PATH). State goes to a `file://` backend in the run
 * directory, secrets are encrypted with a passphrase made for the run.
 */

export interface Engine {
    env: NodeJS.ProcessEnv;
    /** The state backend directory (`file://` URL target). */
    backendDir: string;
    passphrase: string;
}

export function prepareEngine(tools: Toolchain, runDir: string, kubeconfig: string): Engine {
    const home = path.join(runDir, "pulumi-home");
    const bin = path.join(home, "versions", sdkVersion(), "bin");
    fs.mkdirSync(bin, { recursive: true });
    for (const [name, target] of [
        ["pulumi", tools.pulumi],
        ["pulumi-language-nodejs", tools.nodejsLanguageHost],
        ["pulumi-resource-kubernetes", tools.kubernetesProvider],
    ]) {
        fs.symlinkSync(target, path.join(bin, name));
    }
    // The random stand-in, run from this checkout's sources (see randomProvider.ts for why).
    const tsNode = path.join(repoRoot, "node_modules", "ts-node", "register", "transpile-only");
    fs.writeFileSync(
        path.join(bin, "pulumi-resource-random"),
        `#!/bin/sh\nexport TS_NODE_PROJECT='${path.join(repoRoot, "tsconfig.json")}'\nexec node -r '${tsNode}' '${path.join(repoRoot, "tests", "deploy", "randomProvider.ts")}' "$@"\n`,
        { mode: 0o755 },
    );
    const backendDir = path.join(runDir, "state");
    fs.mkdirSync(backendDir, { recursive: true });
    const passphrase = crypto.randomBytes(18).toString("base64url");
    const env = pulumiEnv(
        {
            ...process.env,
            PULUMI_HOME: home,
            PULUMI_BACKEND_URL: `file://${backendDir}`,
            PULUMI_CONFIG_PASSPHRASE: passphrase,
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            KUBECONFIG: kubeconfig,
            // Direct `pulumi` calls from the checks find the same binaries.
            PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
        },
        backendDir,
    );
    return { env, backendDir, passphrase };
}
