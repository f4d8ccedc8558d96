/**
 * What `rlog-cli broker add|remove|list` and `rlog-cli controller voters` do
 * once their arguments are parsed (docs/OPERATIONS.md): the SDK's admin
 * calls, then a line, a table or JSON.
 */
import type { ControllerMembership, ListedBroker } from "../../client/index.js";
import { explain, openClient } from "../session.js";
import { formatTable } from "../table.js";

interface Common {
  readonly brokers: string;
  readonly json: boolean;
}

/** Register a broker with the running cluster. */
export async function addBroker(
  args: Common & { readonly id: number; readonly host: string; readonly clientPort: number; readonly peerPort: number; readonly kafkaPort?: number },
): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const { id, host, clientPort, peerPort, kafkaPort } = args;
    const b = await client.admin().registerBroker({ id, host, clientPort, peerPort, ...(kafkaPort === undefined ? {} : { kafkaPort }) });
    const kafka = kafkaPort === undefined ? "" : `, kafka ${b.host}:${kafkaPort}`;
    if (args.json) process.stdout.write(JSON.stringify(b) + "\n");
    else process.stdout.write(`broker ${b.brokerId} registered: clients ${b.clientUrl}, peers ${b.host}:${b.peerPort}${kafka}; start it now (its config lists the cluster's brokers and itself)\n`);
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** Unregister a broker. */
export async function removeBroker(args: Common & { readonly id: number }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    await client.admin().unregisterBroker(args.id);
    if (args.json) process.stdout.write(JSON.stringify({ brokerId: args.id, removed: true }) + "\n");
    else process.stdout.write(`broker ${args.id} unregistered; it may be stopped now\n`);
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** Print every broker, and the controller's voters and learners. */
export async function listBrokers(args: Common): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const r = await client.admin().listBrokers();
    process.stdout.write(args.json ? JSON.stringify(r) + "\n" : brokersText(r.brokers, r.controller));
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** Change the controller voters. */
export async function setControllerVoters(args: Common & { readonly voters: readonly number[] }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const m = await client.admin().alterControllerVoters(args.voters);
    process.stdout.write(args.json ? JSON.stringify(m) + "\n" : membershipLine(m));
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** The table of `broker list`, then the controller membership. */
export function brokersText(list: readonly ListedBroker[], controller: ControllerMembership): string {
  const rows = list.map((b) => [String(b.brokerId), b.clientUrl, `${b.host}:${b.peerPort}`, b.kafkaPort === undefined ? "-" : `${b.host}:${b.kafkaPort}`, b.source, b.live ? "yes" : "no", b.controllerRole, String(b.replicas)]);
  return formatTable(["BROKER", "CLIENT-URL", "PEER", "KAFKA", "SOURCE", "LIVE", "CONTROLLER", "REPLICAS"], rows) + "\n" + membershipLine(controller);
}

function membershipLine(m: ControllerMembership): string {
  const learners = m.learners.length === 0 ? "none" : m.learners.join(",");
  return `controller voters: ${m.voters.join(",")}; learners: ${learners}${m.changing ? " (a change is in flight)" : ""}\n`;
}
