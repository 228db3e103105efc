import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pulumiEnv, stackArg, stackConfig } from "../../scripts/pulumiCli";

/** How `npm run up | preview | destroy | verify | promote` run the pinned Pulumi CLI. */

test("without settings: a local file:// backend and a generated passphrase only the owner can read", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "state-"));
    const env = pulumiEnv({}, dir);
    expect(env.PULUMI_BACKEND_URL).toBe(`file://${dir}`);
    const passFile = env.PULUMI_CONFIG_PASSPHRASE_FILE!;
    expect(fs.statSync(passFile).mode & 0o777).toBe(0o600);
    const passphrase = fs.readFileSync(passFile, "utf8");
    expect(passphrase.length).toBeGreaterThanOrEqual(32);
    // The same passphrase next time, or the stack's secrets could not be read again.
    expect(fs.readFileSync(pulumiEnv({}, dir).PULUMI_CONFIG_PASSPHRASE_FILE!, "utf8")).toBe(passphrase);
    expect(env.PULUMI_SKIP_UPDATE_CHECK).toBe("true");
});

test("a team's backend and passphrase are used as given", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "state-"));
    const env = pulumiEnv({ PULUMI_BACKEND_URL: "s3://acme-pulumi-state?region=eu-west-1", PULUMI_CONFIG_PASSPHRASE: "p" }, dir);
    expect(env.PULUMI_BACKEND_URL).toBe("s3://acme-pulumi-state?region=eu-west-1");
    expect(env.PULUMI_CONFIG_PASSPHRASE_FILE).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual([]);
});

test("--stack picks the stack, dev by default; other args pass through", () => {
    expect(stackArg(["--stack", "prod", "--refresh"])).toEqual({ stack: "prod", rest: ["--refresh"] });
    expect(stackArg(["--refresh"]).stack).toBe(process.env.PULUMI_STACK ?? "dev");
});

test("the deploy script reads the same validated config the program does", () => {
    expect(stackConfig("dev").kubeContext).toBe("kind-lakehouse");
    expect(() => stackConfig("nope")).toThrow(/no stack file Pulumi.nope.yaml/);
});
