import * as fs from "fs";
import * as path from "path";
import { cdcServerIdRanges, icebergCatalogName, imagePipelineSql, imageRunnerJar, pipelineJobName, pipelineSql, requiredEnv } from "../../components/flinkSql";
import * as versions from "../../components/versions";
import { crdValidator } from "./crd";
import { one, ProgramRun, Recorded, runProgram } from "./program";

/** The FlinkDeployment as the program renders it, checked against the operator's real CRD. */

let run: ProgramRun;
let fd: Recorded;

beforeAll(async () => {
    run = await runProgram({
        "lakehouse:target": "kind",
        "lakehouse:serviceType": "NodePort",
        "lakehouse:flink": JSON.stringify({ parallelism: 2, checkpointIntervalSeconds: 10, upgradeMode: "last-state" }),
    });
    fd = one(run, "kubernetes:flink.apache.org/v1beta1:FlinkDeployment", "pipeline");
});

test("validates against the FlinkDeployment CRD of operator 1.15.0", () => {
    const validate = crdValidator();
    const object = { apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", metadata: fd.inputs.metadata, spec: fd.inputs.spec };
    const ok = validate(object);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
});

test("the CRD check can fail: an unknown field and a wrong enum are rejected", () => {
    const validate = crdValidator();
    const bad = { apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", metadata: { name: "x" }, spec: { ...fd.inputs.spec, flinkVersion: "v9_9", jobb: {} } };
    expect(validate(bad)).toBe(false);
    const messages = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join("\n");
    expect(messages).toMatch(/flinkVersion/);
    expect(messages).toMatch(/additional properties/);
});

test("application mode: the runner jar from the image runs the SQL file the image carries", () => {
    const spec = fd.inputs.spec;
    expect(spec.flinkVersion).toBe(versions.flinkApiVersion());
    expect(spec.flinkVersion).toBe("v1_20");
    expect(spec.job).toMatchObject({
        jarURI: imageRunnerJar,
        entryClass: "dev.lakehouse.flink.SqlRunner",
        args: [imagePipelineSql],
        parallelism: 2,
        upgradeMode: "last-state",
        state: "running",
    });
    const image = one(run, "docker:index/image:Image", "flink-job");
    expect(spec.image).toBe(image.inputs.imageName);
    expect(image.inputs.build.args).toEqual({ FLINK_VERSION: versions.flinkVersion() });
    expect(image.inputs.build.context).toBe(path.resolve(__dirname, "../../flink-sql"));
    const dockerfile = fs.readFileSync(path.resolve(__dirname, "../../flink-sql/Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/COPY\s+(--chown=\S+\s+)?pipeline\.sql\s+\/opt\/flink\/usrlib\/sql\/pipeline\.sql/);
});

test("checkpoints, savepoints and HA live on the object store; state survives upgrades", () => {
    const conf = fd.inputs.spec.flinkConfiguration;
    expect(conf).toMatchObject({
        "execution.checkpointing.dir": "s3://warehouse/flink/sales-by-product/checkpoints",
        "execution.checkpointing.savepoint-dir": "s3://warehouse/flink/sales-by-product/savepoints",
        "high-availability.type": "kubernetes",
        "high-availability.storageDir": "s3://warehouse/flink/sales-by-product/ha",
        "execution.checkpointing.interval": "10 s",
        "restart-strategy.type": "exponential-delay",
        "s3.endpoint": "http://minio.lakehouse.svc.cluster.local:9000",
        "s3.path.style.access": "true",
    });
    expect(Object.values(conf).every((v) => typeof v === "string")).toBe(true);
});

test("the job's environment supplies every ${NAME} the SQL uses, secrets only from Secrets", () => {
    const env: any[] = fd.inputs.spec.podTemplate.spec.containers[0].env;
    const names = env.map((e) => e.name);
    for (const name of requiredEnv()) expect(names).toContain(name);
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    expect(byName.MYSQL_CDC_PASSWORD.valueFrom).toEqual({ secretKeyRef: { name: "mysql-credentials", key: "cdc-password" } });
    expect(byName.ICEBERG_JDBC_PASSWORD.valueFrom).toEqual({ secretKeyRef: { name: "mysql-credentials", key: "catalog-password" } });
    expect(byName.AWS_ACCESS_KEY_ID.valueFrom).toEqual({ secretKeyRef: { name: "minio-credentials", key: "access-key" } });
    expect(byName.AWS_SECRET_ACCESS_KEY.valueFrom).toEqual({ secretKeyRef: { name: "minio-credentials", key: "secret-key" } });
    expect(byName.MYSQL_CDC_USER.value).toBe("flink_cdc");
    expect(byName.ICEBERG_JDBC_URL.value).toBe("jdbc:mysql://mysql.lakehouse.svc.cluster.local:3306/iceberg_catalog");
    expect(byName.ICEBERG_WAREHOUSE.value).toBe("s3://warehouse/warehouse");
    const ids = cdcServerIdRanges(2);
    expect(byName.CDC_SERVER_IDS_PRODUCTS.value).toBe(ids.products);
    expect(byName.CDC_SERVER_IDS_SALES.value).toBe(ids.sales);
    expect(byName.CHECKPOINT_INTERVAL.value).toBe("10 s");
    // Readers' branch unless a rebuild is under way (README, "Rebuilding the lake").
    expect(byName.ICEBERG_BRANCH.value).toBe("main");
});

test("the sink's branch is the SQL's hint, filled from flink.sinkBranch", () => {
    expect(pipelineSql()).toMatch(/INSERT INTO lakehouse\.demo\.sales_by_product \/\*\+ OPTIONS\('branch' = '\$\{ICEBERG_BRANCH\}', 'upsert-enabled' = 'false'\) \*\//);
    expect(requiredEnv()).toContain("ICEBERG_BRANCH");
});

test("pulumi up waits until the job is RUNNING", () => {
    expect(fd.inputs.metadata.annotations["pulumi.com/waitFor"]).toBe("jsonpath={.status.jobStatus.state}=RUNNING");
});

test("it depends on the operator, MySQL being ready and the bucket existing", () => {
    const urnOf = (type: string, name: string) => {
        const dep = fd.dependencies.find((u) => u.endsWith(`${type}::${name}`));
        return dep;
    };
    expect(urnOf("kubernetes:apps/v1:StatefulSet", "mysql")).toBeDefined();
    expect(urnOf("kubernetes:batch/v1:Job", "minio-bucket")).toBeDefined();
    expect(fd.dependencies.some((u) => u.includes("kubernetes:helm.sh/v4:Chart") && u.endsWith("::flink-operator"))).toBe(true);
});

test("the operator chart: pinned version, values from charts/, webhook off, watching the pipeline namespace", () => {
    const chart = one(run, "kubernetes:helm.sh/v4:Chart", "flink-operator");
    expect(chart.inputs.version).toBe("1.15.0");
    expect(chart.inputs.chart).toBe("flink-kubernetes-operator");
    expect(chart.inputs.repositoryOpts.repo).toContain("flink-kubernetes-operator-1.15.0");
    expect(chart.inputs.values.webhook.create).toBe(false);
    expect(chart.inputs.values.watchNamespaces).toEqual(["lakehouse"]);
    expect(chart.inputs.values.image.tag).toBe("1.15.0");
    expect(chart.inputs.namespace).toBe("lakehouse-flink-operator");
});

test("the SQL has the catalog Trino reads, the v2 upsert table and no state TTL that resets totals", () => {
    const sql = pipelineSql();
    expect(icebergCatalogName(sql)).toBe("lakehouse");
    expect(sql).toMatch(/'jdbc\.schema-version'\s*=\s*'V1'/);
    expect(sql).toMatch(/'format-version'\s*=\s*'2'/);
    // Retractions applied, not Iceberg's upsert mode, which drops a lone UPDATE_BEFORE (see the SQL).
    expect(sql).toMatch(/'write\.upsert\.enabled'\s*=\s*'false'/);
    expect(sql).toMatch(/'upsert-enabled' = 'false'/);
    expect(sql).toMatch(/'write\.delete\.granularity'\s*=\s*'file'/);
    expect(sql).toMatch(/PRIMARY KEY \(product_id\) NOT ENFORCED/);
    expect(sql).toMatch(/'table\.exec\.state\.ttl'\s*=\s*'0 ms'/);
    // No literal secret: every credential is a ${NAME} reference.
    expect(sql).not.toMatch(/s3\.(secret-access-key|access-key-id)/);
    for (const key of ["password", "jdbc.password"]) {
        for (const m of sql.matchAll(new RegExp(`'${key.replace(/\./g, "\\.")}'\\s*=\\s*'([^']*)'`, "g"))) {
            expect(m[1]).toMatch(/^\$\{[A-Z0-9_]+\}$/);
        }
    }
});

test("CDC server-id ranges are disjoint, wide enough and clear of the server's id", () => {
    for (const p of [1, 2, 4, 99, 100, 150]) {
        const r = cdcServerIdRanges(p);
        const [a0, a1] = r.products.split("-").map(Number);
        const [b0, b1] = r.sales.split("-").map(Number);
        expect(a1 - a0 + 1).toBe(p);
        expect(b1 - b0 + 1).toBe(p);
        expect(a1 < b0).toBe(true);
        expect(a0).toBeGreaterThan(1);
    }
});

test("stack outputs include the Flink UI and job name", () => {
    expect(run.outputs.flinkJobName).toBe("sales-by-product");
    expect(run.outputs.flinkUiUrl).toBe("http://localhost:30081");
    expect(run.outputs.flinkSqlSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.outputs.flinkRestEndpoint).toBe("http://sales-by-product-ui.lakehouse.svc.cluster.local:8081");
    expect(pipelineJobName()).toBe("sales_by_product");
});
