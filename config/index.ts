/**
 * The broker config: types, defaults and the loader. Node built-ins only, so
 * the CLI can load it without pulling in the broker.
 */
export type { BrokerConfig, BrokerEndpoint, ConfigInput, LimitSettings, LogLevel, RaftSettings, StorageSettings, TlsClientAuth, TlsSettings } from "./broker-config.js";
export { TLS_CLIENT_AUTH_MODES } from "./broker-config.js";
export { LOG_LEVELS } from "./broker-config.js";
export { ConfigError, formatIssue, type ConfigIssue } from "./config-error.js";
export { DEFAULT_CONFIG, DERIVED_KEYS, REQUIRED_KEYS, type DefaultedConfig } from "./defaults.js";
export { envName, ENV_PREFIX, ENV_RESERVED_NAMES, ENV_RESERVED_PREFIXES } from "./env.js";
export { loadConfig, loadConfigDetailed, type LoadConfigOptions, type LoadedConfig } from "./load-config.js";
export { configDir, packageRoot, shippedConfigFiles, shippedConfigPath } from "./paths.js";
export { CONFIG_SCHEMA, schemaLeaves } from "./schema.js";
