import { ConfigError, defaults, parseConfig } from "../../components/config";

const base = { "lakehouse:target": "kind" };

function problems(raw: Record<string, string>): { key: string; problem: string; fix: string }[] {
    try {
        parseConfig(raw);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    throw new Error("expected a ConfigError");
}

test("a dev stack needs only its target; the rest are defaults", () => {
    const cfg = parseConfig(base);
    expect(cfg.target).toBe("kind");
    expect(cfg.kubeContext).toBe("kind-lakehouse");
    expect(cfg.namespace).toBe(defaults.namespace);
    expect(cfg.mysql).toEqual(defaults.mysql);
    expect(cfg.flink.upgradeMode).toBe("savepoint");
    expect(cfg.storageClass).toBeUndefined();
});

test("the Flink operator: installed from Apache's repository by default, or pre-installed, or from a mirror", () => {
    expect(parseConfig(base).flinkOperator).toEqual({ install: true, chart: "https://downloads.apache.org/flink/flink-kubernetes-operator-1.15.0/" });
    expect(parseConfig({ ...base, "lakehouse:flinkOperator": JSON.stringify({ install: false }) }).flinkOperator.install).toBe(false);
    const mirror = { ...base, "lakehouse:flinkOperator": JSON.stringify({ chart: "oci://registry.example.com/charts/flink-kubernetes-operator" }) };
    expect(parseConfig(mirror).flinkOperator.chart).toBe("oci://registry.example.com/charts/flink-kubernetes-operator");
    // A vendored chart must be there when it is to be installed.
    expect(() => parseConfig({ ...base, "lakehouse:flinkOperator": JSON.stringify({ chart: "charts" }) })).toThrow(/flinkOperator.chart/);
    expect(parseConfig({ ...base, "lakehouse:flinkOperator": JSON.stringify({ chart: "charts", install: false }) }).flinkOperator.install).toBe(false);
});

test("sections merge given fields over defaults", () => {
    const cfg = parseConfig({ ...base, "lakehouse:trino": JSON.stringify({ workers: 2, heapPercent: "60" }), "lakehouse:kindClusterName": "lab" });
    expect(cfg.trino.workers).toBe(2);
    expect(cfg.trino.heapPercent).toBe(60);
    expect(cfg.trino.coordinatorResources).toEqual(defaults.trino.coordinatorResources);
    expect(cfg.kubeContext).toBe("kind-lab");
});

test.each([
    [{}, "lakehouse:target", /is required/, /pulumi config set lakehouse:target <kind\|eks>/],
    [{ "lakehouse:target": "minikube" }, "lakehouse:target", /'minikube' is not one of kind, eks/, /pulumi config set lakehouse:target/],
    [{ ...base, "lakehouse:namespace": "Lake_House" }, "lakehouse:namespace", /not a DNS label/, /pulumi config set lakehouse:namespace lakehouse/],
    [{ ...base, "lakehouse:serviceType": "Ingress" }, "lakehouse:serviceType", /not one of ClusterIP, NodePort, LoadBalancer/, /serviceType/],
    [{ ...base, "lakehouse:mysql": JSON.stringify({ storageSize: "10 GB" }) }, "lakehouse:mysql.storageSize", /not a Kubernetes quantity/, /--path 'lakehouse:mysql.storageSize' 5Gi/],
    [{ ...base, "lakehouse:mysql": JSON.stringify({ serverId: 0 }) }, "lakehouse:mysql.serverId", /whole number from 1/, /mysql.serverId/],
    [{ ...base, "lakehouse:mysql": "big" }, "lakehouse:mysql", /must be an object/, /--path/],
    [{ ...base, "lakehouse:mysql": JSON.stringify({ storagesize: "1Gi" }) }, "lakehouse:mysql.storagesize", /unknown setting/, /known fields of mysql: storageSize/],
    [{ ...base, "lakehouse:objectStore": JSON.stringify({ bucket: "My_Bucket" }) }, "lakehouse:objectStore.bucket", /not an S3 bucket name/, /objectStore.bucket/],
    [{ ...base, "lakehouse:trino": JSON.stringify({ workers: -1 }) }, "lakehouse:trino.workers", /whole number from 0 to 100/, /trino.workers/],
    [{ ...base, "lakehouse:trino": JSON.stringify({ coordinatorResources: { requests: { memory: "4Gi" } } }) }, "lakehouse:trino.coordinatorResources.requests.memory", /request 4Gi exceeds limit 2Gi/, /limits.memory/],
    [{ ...base, "lakehouse:superset": JSON.stringify({ adminEmail: "nobody" }) }, "lakehouse:superset.adminEmail", /not an e-mail address/, /adminEmail/],
    [{ ...base, "lakehouse:generator": JSON.stringify({ enabled: "yes" }) }, "lakehouse:generator.enabled", /not true or false/, /generator.enabled/],
    [{ ...base, "lakehouse:generator": JSON.stringify({ deleteRatio: 2 }) }, "lakehouse:generator.deleteRatio", /number from 0 to 1/, /deleteRatio/],
    [{ ...base, "lakehouse:generator": JSON.stringify({ profile: "brutal" }) }, "lakehouse:generator.profile", /not one of default, hard/, /generator.profile' default/],
    [{ ...base, "lakehouse:generator": JSON.stringify({ connections: 0 }) }, "lakehouse:generator.connections", /whole number from 1 to 64/, /generator.connections' 1/],
    [{ ...base, "lakehouse:generator": JSON.stringify({ burst: 2.5 }) }, "lakehouse:generator.burst", /whole number from 1/, /generator.burst' 1/],
    [{ ...base, "lakehouse:generator": JSON.stringify({ txRatio: -0.1 }) }, "lakehouse:generator.txRatio", /number from 0 to 1/, /txRatio/],
    [{ ...base, "lakehouse:generator": JSON.stringify({ bulkRows: 0 }) }, "lakehouse:generator.bulkRows", /whole number from 1 to 1000000/, /bulkRows/],
    [{ ...base, "lakehouse:generator": JSON.stringify({ profile: "hard", txRatio: 0.5, churnRatio: 0.6 }) }, "lakehouse:generator", /add up to .*more than 1/, /generator.txRatio/],
    [{ ...base, "lakehouse:flink": JSON.stringify({ upgradeMode: "stateless" }) }, "lakehouse:flink.upgradeMode", /not one of savepoint, last-state/, /upgradeMode/],
    [{ ...base, "lakehouse:flink": JSON.stringify({ sinkBranch: "audit" }) }, "lakehouse:flink.sinkBranch", /not one of main, rebuild/, /sinkBranch/],
    [{ ...base, "lakehouse:flink": JSON.stringify({ taskManagerResources: { memory: "2Gi" } }) }, "lakehouse:flink.taskManagerResources.memory", /Flink memory size/, /taskManagerResources.memory/],
    [{ ...base, "lakehouse:nodePorts": JSON.stringify({ trino: 8080 }) }, "lakehouse:nodePorts.trino", /from 30000 to 32767/, /nodePorts.trino/],
    [{ ...base, "lakehouse:replicas": "3" }, "lakehouse:replicas", /unknown setting/, /pulumi config rm lakehouse:replicas/],
    [{ "lakehouse:target": "eks" }, "lakehouse:kubeContext", /required when target is eks/, /pulumi config set lakehouse:kubeContext/],
    [{ ...base, "lakehouse:flink": JSON.stringify({ startTimeoutSeconds: 5 }) }, "lakehouse:flink.startTimeoutSeconds", /whole number from 30/, /startTimeoutSeconds/],
    [{ ...base, "lakehouse:flinkOperator": JSON.stringify({ install: "no" }) }, "lakehouse:flinkOperator.install", /not true or false/, /flinkOperator.install/],
    [{ ...base, "lakehouse:flinkOperator": JSON.stringify({ chart: "charts/missing.tgz" }) }, "lakehouse:flinkOperator.chart", /neither a URL nor a chart/, /flinkOperator.chart/],
    [{ ...base, "lakehouse:maintenanceSchedule": "hourly" }, "lakehouse:maintenanceSchedule", /five-field cron schedule/, /maintenanceSchedule/],
])("rejects %j at %s", (raw, key, problem, fix) => {
    const found = problems(raw as Record<string, string>).find((p) => p.key === key);
    expect(found).toBeDefined();
    expect(found!.problem).toMatch(problem);
    expect(found!.fix).toMatch(fix);
});

test("the generator: today's single-connection default mix unless the stack picks the hard profile", () => {
    expect(parseConfig(base).generator).toMatchObject({ profile: "default", connections: 1, burst: 1, products: 20, salesPerSecond: 2, updateRatio: 0.1, deleteRatio: 0.05, renameRatio: 0.02 });
    const hard = parseConfig({ ...base, "lakehouse:generator": JSON.stringify({ profile: "hard", connections: "4", burst: 40, bulkRows: 50000, txRatio: 0.3 }) }).generator;
    expect(hard).toMatchObject({ profile: "hard", connections: 4, burst: 40, bulkRows: 50000, txRatio: 0.3, rollbackRatio: defaults.generator.rollbackRatio });
    // Shares over 1 are harmless in the default profile, which ignores them.
    expect(parseConfig({ ...base, "lakehouse:generator": JSON.stringify({ txRatio: 1, churnRatio: 1 }) }).generator.profile).toBe("default");
});

test("every problem is reported at once, each with its key in the message", () => {
    try {
        parseConfig({ "lakehouse:target": "aks", "lakehouse:mysql": JSON.stringify({ storageSize: "x" }), "lakehouse:typo": "1" });
        throw new Error("expected a ConfigError");
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        const message = (e as Error).message;
        expect(message).toMatch(/3 problems/);
        for (const key of ["lakehouse:target", "lakehouse:mysql.storageSize", "lakehouse:typo"]) {
            expect(message).toContain(key);
        }
    }
});

test("other namespaces are left alone", () => {
    expect(() => parseConfig({ ...base, "kubernetes:context": "x", "aws:region": "eu-west-1" })).not.toThrow();
});
