/**
 * The CloudNativePG v1 API (postgresql.cnpg.io/v1) as TypeScript types, for
 * the strict manifest check: CloudNativePG publishes CRDs, not models, so
 * these are written from its API reference
 * (https://cloudnative-pg.io/documentation/current/cloudnative-pg.v1/).
 * Every top-level field of each spec is listed; the structures the chart
 * fills in are typed in full, the others loosely. An unknown field in a
 * rendered object (a typo such as `primaryUpdateStrateg`) fails the check,
 * as the API server's structural schema would prune or refuse it.
 */
type Loose = Record<string, unknown>;
interface LocalObjectReference {
  name: string;
}
interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RoleConfiguration {
  name: string;
  comment?: string;
  ensure?: 'present' | 'absent';
  passwordSecret?: LocalObjectReference;
  connectionLimit?: number;
  validUntil?: string;
  inRoles?: string[];
  inherit?: boolean;
  disablePassword?: boolean;
  superuser?: boolean;
  createdb?: boolean;
  createrole?: boolean;
  login?: boolean;
  replication?: boolean;
  bypassrls?: boolean;
}

interface BootstrapInitDB {
  database?: string;
  owner?: string;
  secret?: LocalObjectReference;
  options?: string[];
  dataChecksums?: boolean;
  encoding?: string;
  localeCollate?: string;
  localeCType?: string;
  locale?: string;
  localeProvider?: string;
  icuLocale?: string;
  icuRules?: string;
  builtinLocale?: string;
  walSegmentSize?: number;
  postInitSQL?: string[];
  postInitApplicationSQL?: string[];
  postInitTemplateSQL?: string[];
  postInitSQLRefs?: Loose;
  postInitApplicationSQLRefs?: Loose;
  postInitTemplateSQLRefs?: Loose;
  import?: Loose;
}

interface StorageConfiguration {
  size?: string;
  storageClass?: string;
  resizeInUseVolumes?: boolean;
  pvcTemplate?: Loose;
}

interface ClusterSpec {
  description?: string;
  inheritedMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  imageName?: string;
  imageCatalogRef?: Loose;
  imagePullPolicy?: string;
  schedulerName?: string;
  postgresUID?: number;
  postgresGID?: number;
  instances: number;
  minSyncReplicas?: number;
  maxSyncReplicas?: number;
  postgresql?: {
    parameters?: Record<string, string>;
    synchronous?: Loose;
    pg_hba?: string[];
    pg_ident?: string[];
    syncReplicaElectionConstraint?: Loose;
    shared_preload_libraries?: string[];
    ldap?: Loose;
    promotionTimeout?: number;
    enableAlterSystem?: boolean;
    extensions?: Loose[];
  };
  replicationSlots?: Loose;
  bootstrap?: { initdb?: BootstrapInitDB; recovery?: Loose; pg_basebackup?: Loose };
  replica?: Loose;
  superuserSecret?: LocalObjectReference;
  enableSuperuserAccess?: boolean;
  certificates?: Loose;
  imagePullSecrets?: LocalObjectReference[];
  storage?: StorageConfiguration;
  serviceAccountTemplate?: Loose;
  walStorage?: StorageConfiguration;
  ephemeralVolumeSource?: Loose;
  startDelay?: number;
  stopDelay?: number;
  smartShutdownTimeout?: number;
  switchoverDelay?: number;
  failoverDelay?: number;
  livenessProbeTimeout?: number;
  affinity?: Loose;
  topologySpreadConstraints?: Loose[];
  resources?: Loose;
  ephemeralVolumesSizeLimit?: Loose;
  priorityClassName?: string;
  primaryUpdateStrategy?: 'unsupervised' | 'supervised';
  primaryUpdateMethod?: 'switchover' | 'restart';
  backup?: Loose;
  nodeMaintenanceWindow?: Loose;
  monitoring?: Loose;
  externalClusters?: Loose[];
  logLevel?: string;
  projectedVolumeTemplate?: Loose;
  env?: Loose[];
  envFrom?: Loose[];
  managed?: { roles?: RoleConfiguration[]; services?: Loose };
  seccompProfile?: Loose;
  podSecurityContext?: Loose;
  securityContext?: Loose;
  tablespaces?: Loose[];
  enablePDB?: boolean;
  plugins?: Loose[];
  probes?: Loose;
}

export interface ICluster {
  apiVersion: 'postgresql.cnpg.io/v1';
  kind: 'Cluster';
  metadata: ObjectMeta;
  spec: ClusterSpec;
}

export interface IPooler {
  apiVersion: 'postgresql.cnpg.io/v1';
  kind: 'Pooler';
  metadata: ObjectMeta;
  spec: {
    cluster: LocalObjectReference;
    type?: 'rw' | 'ro' | 'r';
    instances?: number;
    template?: Loose;
    pgbouncer: {
      poolMode?: 'session' | 'transaction';
      authQuerySecret?: LocalObjectReference;
      authQuery?: string;
      parameters?: Record<string, string>;
      pg_hba?: string[];
      paused?: boolean;
    };
    deploymentStrategy?: Loose;
    monitoring?: Loose;
    serviceTemplate?: Loose;
  };
}

export interface IDatabase {
  apiVersion: 'postgresql.cnpg.io/v1';
  kind: 'Database';
  metadata: ObjectMeta;
  spec: {
    cluster: LocalObjectReference;
    ensure?: 'present' | 'absent';
    name: string;
    owner: string;
    template?: string;
    encoding?: string;
    locale?: string;
    localeProvider?: string;
    localeCollate?: string;
    localeCType?: string;
    icuLocale?: string;
    icuRules?: string;
    builtinLocale?: string;
    collationVersion?: string;
    isTemplate?: boolean;
    allowConnections?: boolean;
    connectionLimit?: number;
    tablespace?: string;
    databaseReclaimPolicy?: 'delete' | 'retain';
    schemas?: Loose[];
    extensions?: Loose[];
  };
}
