/**
 * Protocol version, named in the handshake. Bump it for any change a peer
 * could misread; a broker answers a version it does not speak with
 * UNSUPPORTED_VERSION and details { versionMin, versionMax }.
 *
 * Version 2 (issue 16): produce carries one Kafka RecordBatch v2 built by
 * the client (`batch` bytes) instead of a records array. Version 1 is no
 * longer spoken: the project is pre-release, with no deployed clients.
 */
export const PROTOCOL_VERSION = 2;

/** Oldest protocol version this build still speaks. */
export const PROTOCOL_VERSION_MIN = 2;
