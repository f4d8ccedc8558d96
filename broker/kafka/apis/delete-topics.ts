/**
 * DeleteTopics (key 20), v0-v3 -> rlog's deleteTopic, one topic at a time.
 * Like createTopic it is answered by the controller leader only (elsewhere
 * NOT_CONTROLLER: the client refreshes metadata and resends to the
 * controller). An unknown topic gets UNKNOWN_TOPIC_OR_PARTITION. timeout_ms
 * is not waited on: the answer comes once the controller has committed the
 * deletion.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError, kafkaErrorCode } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";

/** Last version answered: v4 is flexible. */
const DELETE_TOPICS_VERSION_MAX = 3;

async function deleteOne(name: string, ctx: KafkaApiContext): Promise<number> {
  try {
    await ctx.call({ op: "deleteTopic", name });
    ctx.log.info({ topic: name }, "kafka DeleteTopics deleted a topic");
    return KafkaError.NONE;
  } catch (err) {
    const code = kafkaErrorCode(err);
    if (code === KafkaError.UNKNOWN_SERVER_ERROR) ctx.log.error({ err, topic: name }, "deleteTopic failed");
    else ctx.log.debug({ topic: name, code }, "kafka DeleteTopics refused");
    return code;
  }
}

/** DeleteTopics: see the file comment. */
export const deleteTopicsApi: KafkaApi = {
  key: ApiKey.DeleteTopics,
  name: "DeleteTopics",
  minVersion: 0,
  maxVersion: DELETE_TOPICS_VERSION_MAX,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const names = body.array((r) => r.string("topic name"), "topic_names");
    body.int32("timeout_ms");
    body.end("DeleteTopics");
    const answers: { name: string; code: number }[] = [];
    for (const name of new Set(names)) answers.push({ name, code: await deleteOne(name, ctx) });
    const w = new KafkaWriter();
    if (version >= 1) w.int32(0); // throttle_time_ms
    w.array(answers, (x, a) => x.string(a.name).int16(a.code));
    return w;
  },
};
