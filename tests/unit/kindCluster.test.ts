import * as YAML from "yaml";
import { parseConfig } from "../../components/config";
import { kindClusterConfig } from "../../scripts/kindCluster";

test("the kind cluster publishes every UI node port on the host's loopback only", () => {
    const cfg = parseConfig({ "lakehouse:target": "kind", "lakehouse:nodePorts": JSON.stringify({ trino: 31080 }) });
    const doc = YAML.parse(kindClusterConfig(cfg));
    expect(doc.kind).toBe("Cluster");
    const mappings = doc.nodes[0].extraPortMappings;
    expect(mappings.map((m: any) => m.containerPort).sort()).toEqual([30081, 30088, 30901, 31080]);
    for (const m of mappings) {
        expect(m.hostPort).toBe(m.containerPort);
        expect(m.listenAddress).toBe("127.0.0.1");
    }
});
