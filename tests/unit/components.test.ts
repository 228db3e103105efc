import { maintenanceStatements } from "../../components/tableMaintenance";
import { renderIcebergCatalog } from "../../components/trinoCatalog";
import * as versions from "../../components/versions";
import { byType, one, ProgramRun, runProgram } from "./program";

/** The dev stack's resource graph: what each component registers, property by property. */

let run: ProgramRun;
const container = (r: { inputs: Record<string, any> }, i = 0) => r.inputs.spec.template.spec.containers[i];
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

beforeAll(async () => {
    run = await runProgram({ "lakehouse:target": "kind", "lakehouse:serviceType": "NodePort" });
});

describe("MySql", () => {
    test("runs the pinned image with every binlog flag CDC needs", () => {
        const c = container(one(run, "kubernetes:apps/v1:StatefulSet", "mysql"));
        expect(c.image).toBe(versions.mysqlImage);
        expect(c.args).toEqual(
            expect.arrayContaining([
                "--server-id=1",
                "--log-bin=mysql-bin",
                "--binlog-format=ROW",
                "--binlog-row-image=FULL",
                "--gtid-mode=ON",
                "--enforce-gtid-consistency=ON",
                `--binlog-expire-logs-seconds=${7 * 24 * 3600}`,
                // MySQL 8's strict default, stated: the proof harness runs its MariaDB with it too.
                "--sql-mode=ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",
            ]),
        );
    });

    test("init scripts create the tables, the catalog database and least-privilege users", () => {
        const data = one(run, "kubernetes:core/v1:ConfigMap", "mysql-initdb").inputs.data;
        const schema: string = data["01-databases.sql"];
        expect(schema).toMatch(/CREATE DATABASE IF NOT EXISTS appdb/);
        expect(schema).toMatch(/CREATE DATABASE IF NOT EXISTS iceberg_catalog/);
        expect(schema).toMatch(/CREATE TABLE IF NOT EXISTS products \([\s\S]*id\s+INT[\s\S]*sku[\s\S]*name[\s\S]*price\s+DECIMAL\(10,2\)/);
        expect(schema).toMatch(/CREATE TABLE IF NOT EXISTS sales \([\s\S]*product_id\s+INT[\s\S]*qty\s+INT[\s\S]*price\s+DECIMAL\(10,2\)[\s\S]*sale_ts/);
        const users: string = data["02-users.sh"];
        expect(users).toContain("GRANT SELECT ON appdb.* TO '${MYSQL_CDC_USER}'@'%'");
        expect(users).toContain("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '${MYSQL_CDC_USER}'@'%'");
        expect(users).toContain("GRANT ALL PRIVILEGES ON iceberg_catalog.* TO '${MYSQL_CATALOG_USER}'@'%'");
        expect(users).toContain("GRANT SELECT, INSERT, UPDATE, DELETE ON appdb.* TO '${MYSQL_APP_USER}'@'%'");
        // The CDC user gets no global read or lock rights, nor write rights anywhere.
        const cdcGrants = users.split("\n").filter((l) => l.includes("GRANT") && l.includes("MYSQL_CDC_USER"));
        expect(cdcGrants.join("\n")).not.toMatch(/RELOAD|LOCK TABLES|INSERT|UPDATE|DELETE|ALL PRIVILEGES|SELECT ON \*\.\*/);
    });

    test("passwords reach the container only from the credentials Secret; scripts run from an executable mount", () => {
        const sts = one(run, "kubernetes:apps/v1:StatefulSet", "mysql");
        const env = envOf(container(sts));
        for (const v of ["MYSQL_ROOT_PASSWORD", "MYSQL_CDC_PASSWORD", "MYSQL_CATALOG_PASSWORD", "MYSQL_APP_PASSWORD", "MYSQL_SUPERSET_PASSWORD"]) {
            expect(env[v]).toEqual({ secretKeyRef: { name: "mysql-credentials", key: expect.any(String) } });
        }
        expect(env.MYSQL_CDC_USER).toBe("flink_cdc");
        const initVolume = sts.inputs.spec.template.spec.volumes.find((v: any) => v.name === "initdb");
        expect(initVolume.configMap.defaultMode).toBe(0o755);
        expect(container(sts).volumeMounts).toEqual(expect.arrayContaining([{ name: "initdb", mountPath: "/docker-entrypoint-initdb.d", readOnly: true }]));
    });

    test("has a PVC, a readiness probe, limits and runs as non-root", () => {
        const sts = one(run, "kubernetes:apps/v1:StatefulSet", "mysql");
        expect(sts.inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("5Gi");
        const c = container(sts);
        expect(c.readinessProbe.exec.command.join(" ")).toContain("mysqladmin");
        expect(c.resources.limits.memory).toBe("1Gi");
        expect(sts.inputs.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999 });
    });
});

describe("ObjectStore", () => {
    test("MinIO from quay.io, credentials from its Secret, a PVC", () => {
        const sts = one(run, "kubernetes:apps/v1:StatefulSet", "minio");
        const c = container(sts);
        expect(c.image).toBe(versions.minioImage);
        expect(c.image.startsWith("quay.io/minio/minio:RELEASE.")).toBe(true);
        expect(envOf(c).MINIO_ROOT_PASSWORD).toEqual({ secretKeyRef: { name: "minio-credentials", key: "secret-key" } });
        expect(sts.inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("10Gi");
        expect(c.readinessProbe.httpGet.path).toBe("/minio/health/ready");
    });

    test("the bucket Job runs the shared create-bucket script against the in-cluster endpoint", () => {
        const job = one(run, "kubernetes:batch/v1:Job", "minio-bucket");
        const c = container(job);
        expect(c.image).toBe(versions.minioClientImage);
        expect(c.command).toEqual(["/bin/sh", "/scripts/create-bucket.sh"]);
        const env = envOf(c);
        expect(env.S3_BUCKET).toBe("warehouse");
        expect(env.S3_ENDPOINT).toBe("http://minio.lakehouse.svc.cluster.local:9000");
        const script = one(run, "kubernetes:core/v1:ConfigMap", "minio-bucket-script").inputs.data["create-bucket.sh"];
        expect(script).toContain('mc mb --ignore-existing "store/${S3_BUCKET}"');
    });
});

describe("Trino", () => {
    test("the catalog is the Iceberg JDBC catalog on MySQL with native S3 on MinIO, secrets only as ${ENV:...}", () => {
        const props: string = one(run, "kubernetes:core/v1:ConfigMap", "trino-coordinator").inputs.data["iceberg.properties"];
        const expected = renderIcebergCatalog({
            catalogName: "lakehouse",
            jdbcUrl: "jdbc:mysql://mysql.lakehouse.svc.cluster.local:3306/iceberg_catalog",
            warehouse: "s3://warehouse/warehouse",
            s3Endpoint: "http://minio.lakehouse.svc.cluster.local:9000",
            s3Region: "us-east-1",
            s3PathStyle: true,
            staticCredentials: true,
        });
        expect(props).toBe(expected);
        const map = Object.fromEntries(props.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)));
        expect(map).toMatchObject({
            "connector.name": "iceberg",
            "iceberg.catalog.type": "jdbc",
            "iceberg.jdbc-catalog.catalog-name": "lakehouse",
            "iceberg.jdbc-catalog.driver-class": "com.mysql.cj.jdbc.Driver",
            "iceberg.jdbc-catalog.connection-user": "${ENV:ICEBERG_JDBC_USER}",
            "iceberg.jdbc-catalog.connection-password": "${ENV:ICEBERG_JDBC_PASSWORD}",
            "iceberg.jdbc-catalog.schema-version": "V1",
            "fs.native-s3.enabled": "true",
            "s3.path-style-access": "true",
            "s3.region": "us-east-1",
            "s3.aws-access-key": "${ENV:S3_ACCESS_KEY}",
            "s3.aws-secret-key": "${ENV:S3_SECRET_KEY}",
        });
    });

    test("the ${ENV:...} names are fed from Secrets", () => {
        const env = envOf(container(one(run, "kubernetes:apps/v1:Deployment", "trino-coordinator")));
        expect(env.ICEBERG_JDBC_USER).toBe("iceberg");
        expect(env.ICEBERG_JDBC_PASSWORD).toEqual({ secretKeyRef: { name: "mysql-credentials", key: "catalog-password" } });
        expect(env.S3_ACCESS_KEY).toEqual({ secretKeyRef: { name: "minio-credentials", key: "access-key" } });
        expect(env.S3_SECRET_KEY).toEqual({ secretKeyRef: { name: "minio-credentials", key: "secret-key" } });
    });

    test("JVM heap is sized from the memory limit; coordinator schedules work when there are no workers", () => {
        const data = one(run, "kubernetes:core/v1:ConfigMap", "trino-coordinator").inputs.data;
        expect(data["jvm.config"]).toContain("-Xmx1433M"); // 70% of 2Gi
        expect(data["config.properties"]).toContain("coordinator=true");
        expect(data["config.properties"]).toContain("node-scheduler.include-coordinator=true");
        expect(data["config.properties"]).toContain("discovery.uri=http://trino.lakehouse.svc.cluster.local:8080");
        expect(byType(run, "kubernetes:apps/v1:Deployment").map((d) => d.name)).not.toContain("trino-worker");
    });

    test("runs the image built from trino/Dockerfile with the pinned versions, with a readiness probe", () => {
        const image = one(run, "docker:index/image:Image", "trino");
        expect(image.inputs.build.args).toEqual({ TRINO_VERSION: versions.trinoVersion, MYSQL_CONNECTOR_VERSION: versions.mysqlConnectorVersion() });
        const c = container(one(run, "kubernetes:apps/v1:Deployment", "trino-coordinator"));
        expect(c.image).toBe(image.inputs.imageName);
        expect(c.readinessProbe.exec.command).toEqual(["/usr/lib/trino/bin/health-check"]);
        expect(c.volumeMounts).toEqual(expect.arrayContaining([expect.objectContaining({ mountPath: "/etc/trino/catalog/iceberg.properties" })]));
    });
});

describe("Superset", () => {
    test("the init Job registers Trino at the Trino Service's address", () => {
        const env = envOf(container(one(run, "kubernetes:batch/v1:Job", "superset-init")));
        const trinoService = one(run, "kubernetes:core/v1:Service", "trino");
        expect(env.TRINO_SQLALCHEMY_URI).toBe(`trino://admin@${trinoService.inputs.metadata.name}.lakehouse.svc.cluster.local:${trinoService.inputs.spec.ports[0].port}/iceberg`);
        expect(env.SUPERSET_ADMIN_PASSWORD).toEqual({ secretKeyRef: { name: "superset-secrets", key: "admin-password" } });
        expect(env.SUPERSET_SECRET_KEY).toEqual({ secretKeyRef: { name: "superset-secrets", key: "secret-key" } });
        expect(env.SUPERSET_DB_PASSWORD).toEqual({ secretKeyRef: { name: "mysql-credentials", key: "superset-password" } });
        expect(env.SUPERSET_DB_NAME).toBe("superset");
        expect(env.TRINO_DATABASE_NAME).toBe("Trino Iceberg");
    });

    test("the web Deployment has a health probe and the image carries the pinned Superset", () => {
        const c = container(one(run, "kubernetes:apps/v1:Deployment", "superset"));
        expect(c.readinessProbe.httpGet.path).toBe("/health");
        expect(one(run, "docker:index/image:Image", "superset").inputs.build.args).toEqual({ SUPERSET_VERSION: versions.supersetVersion() });
    });
});

describe("TableMaintenance", () => {
    test("a CronJob runs trino/maintenance.sql with the Trino CLI against the Trino Service, never overlapping itself", () => {
        const cron = one(run, "kubernetes:batch/v1:CronJob", "table-maintenance");
        expect(cron.inputs.spec.schedule).toBe("17 * * * *");
        expect(cron.inputs.spec.concurrencyPolicy).toBe("Forbid");
        const c = cron.inputs.spec.jobTemplate.spec.template.spec.containers[0];
        expect(c.image).toBe(one(run, "docker:index/image:Image", "trino").inputs.imageName);
        expect(c.command).toEqual(["trino", "--server", "$(TRINO_URL)", "--user", "maintenance", "--file", "/sql/maintenance.sql"]);
        expect(envOf(c).TRINO_URL).toBe("http://trino.lakehouse.svc.cluster.local:8080");
        const sql: string = one(run, "kubernetes:core/v1:ConfigMap", "table-maintenance").inputs.data["maintenance.sql"];
        expect(maintenanceStatements(sql)).toEqual([
            "ALTER TABLE iceberg.demo.sales_by_product EXECUTE optimize(file_size_threshold => '128MB')",
            "ALTER TABLE iceberg.demo.sales_by_product EXECUTE expire_snapshots(retention_threshold => '7d')",
            "ALTER TABLE iceberg.demo.sales_by_product EXECUTE remove_orphan_files(retention_threshold => '7d')",
        ]);
    });
});

describe("DataGenerator", () => {
    test("writes as the app user with its password from the Secret", () => {
        const env = envOf(container(one(run, "kubernetes:apps/v1:Deployment", "generator")));
        expect(env.MYSQL_USER).toBe("app");
        expect(env.MYSQL_DATABASE).toBe("appdb");
        expect(env.MYSQL_PASSWORD).toEqual({ secretKeyRef: { name: "mysql-credentials", key: "app-password" } });
        expect(env.GENERATOR_SALES_PER_SECOND).toBe("2");
    });

    test("runs the default profile from one connection without bursts unless the stack asks for more", () => {
        const env = envOf(container(one(run, "kubernetes:apps/v1:Deployment", "generator")));
        expect(env).toMatchObject({
            GENERATOR_PRODUCTS: "20",
            GENERATOR_UPDATE_RATIO: "0.1",
            GENERATOR_DELETE_RATIO: "0.05",
            GENERATOR_RENAME_RATIO: "0.02",
            GENERATOR_PROFILE: "default",
            GENERATOR_CONNECTIONS: "1",
            GENERATOR_BURST: "1",
        });
    });
});

describe("images on kind", () => {
    test("each image is built locally and loaded into the kind cluster when its content changes", () => {
        const images = byType(run, "docker:index/image:Image");
        expect(images.length).toBeGreaterThanOrEqual(3);
        for (const image of images) {
            expect(image.inputs.skipPush).toBe(true);
            expect(image.inputs.imageName).toMatch(/^lakehouse\/[a-z-]+:[0-9a-f]{16}$/);
            const load = one(run, "command:local:Command", `${image.name}-kind-load`);
            expect(load.inputs.create).toBe(`kind load docker-image ${image.inputs.imageName} --name lakehouse`);
            expect(load.inputs.triggers).toEqual([`sha256:${image.name}`]);
        }
    });

    test("workloads use the exact built tag without pulling", () => {
        for (const d of byType(run, "kubernetes:apps/v1:Deployment")) {
            const c = container(d);
            if (c.image.startsWith("lakehouse/")) expect(c.imagePullPolicy).toBe("IfNotPresent");
        }
    });
});

describe("stack outputs", () => {
    test("endpoints, bucket and databases are exported; host URLs follow the exposure", () => {
        expect(run.outputs).toMatchObject({
            kubeNamespace: "lakehouse",
            mysqlEndpoint: "mysql.lakehouse.svc.cluster.local:3306",
            mysqlDatabases: { app: "appdb", catalog: "iceberg_catalog", superset: "superset" },
            s3Endpoint: "http://minio.lakehouse.svc.cluster.local:9000",
            s3Region: "us-east-1",
            warehouseBucket: "warehouse",
            trinoEndpoint: "http://trino.lakehouse.svc.cluster.local:8080",
            trinoUrl: "http://localhost:30080",
            supersetUrl: "http://localhost:30088",
            minioConsoleUrl: "http://localhost:30901",
            supersetDatabase: "Trino Iceberg",
        });
    });

    test("every Service can be reached from the host with the printed port-forward", () => {
        expect(run.outputs.portForwards).toEqual({
            mysql: "kubectl --context kind-lakehouse -n lakehouse port-forward svc/mysql 3306:3306",
            s3: "kubectl --context kind-lakehouse -n lakehouse port-forward svc/minio 9000:9000",
            trino: "kubectl --context kind-lakehouse -n lakehouse port-forward svc/trino 8080:8080",
            superset: "kubectl --context kind-lakehouse -n lakehouse port-forward svc/superset 8088:8088",
            flink: "kubectl --context kind-lakehouse -n lakehouse port-forward svc/sales-by-product-ui 8081:8081",
        });
    });

    test("credentials are exported only as a secret", () => {
        expect(run.secretOutputs).toEqual(new Set(["credentials"]));
        expect(Object.keys(run.outputs.credentials as object).sort()).toEqual(["minioAccessKey", "minioSecretKey", "mysqlRootPassword", "supersetAdminPassword"]);
    });
});
