export namespace migration {
	
	export enum StepState {
	    ACTION_REQUIRED = "action_required",
	    COMPLETED = "completed",
	    FAILED = "failed",
	    NOT_STARTED = "not_started",
	    RUNNING = "running",
	}
	export enum Tab {
	    FAILED = "failed",
	    IN_PROGRESS = "in_progress",
	    SUCCESSFUL = "successful",
	}
	export enum Status {
	    FAILED = "failed",
	    QUEUED = "queued",
	    RUNNING = "running",
	    SUCCESSFUL = "successful",
	    WAITING = "waiting",
	}
	export enum Method {
	    FTP = "ftp",
	    MANUAL = "manual",
	    SFTP = "sftp",
	}
	export enum Action {
	    ATTACH = "attach",
	    CONTINUE_IMPORT = "continue_import",
	    DELETE = "delete",
	    EDIT = "edit",
	    MARK_FAILED = "mark_failed",
	    MARK_SUCCESSFUL = "mark_successful",
	    RETRY = "retry",
	    RETRY_FROM_START = "retry_from_start",
	    SHOW = "show",
	    STOP = "stop",
	    SWITCH_TO_MANUAL = "switch_to_manual",
	    VERIFY = "verify",
	}

}

export namespace pipeline {
	
	export class ConnectionCheck {
	    ok: boolean;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new ConnectionCheck(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.ok = source["ok"];
	        this.message = source["message"];
	    }
	}
	export class ConnectionReport {
	    files: ConnectionCheck;
	    database: ConnectionCheck;
	    wordpressVersion: string;
	    siteUrl: string;
	    hostKey: string;
	    encrypted: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ConnectionReport(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.files = this.convertValues(source["files"], ConnectionCheck);
	        this.database = this.convertValues(source["database"], ConnectionCheck);
	        this.wordpressVersion = source["wordpressVersion"];
	        this.siteUrl = source["siteUrl"];
	        this.hostKey = source["hostKey"];
	        this.encrypted = source["encrypted"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace service {
	
	export class AttachedFileDTO {
	    kind: string;
	    path: string;
	    size: number;
	
	    static createFrom(source: any = {}) {
	        return new AttachedFileDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.path = source["path"];
	        this.size = source["size"];
	    }
	}
	export class BatchDTO {
	    id: number;
	    name: string;
	    createdAt: number;
	    sites: number;
	    migrations: number[];
	    created: number;
	    retried: number;
	
	    static createFrom(source: any = {}) {
	        return new BatchDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.createdAt = source["createdAt"];
	        this.sites = source["sites"];
	        this.migrations = source["migrations"];
	        this.created = source["created"];
	        this.retried = source["retried"];
	    }
	}
	export class BatchProblem {
	    line: number;
	    column: string;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new BatchProblem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.line = source["line"];
	        this.column = source["column"];
	        this.message = source["message"];
	    }
	}
	export class BatchSite {
	    line: number;
	    domain: string;
	    newUrl: string;
	    sourcePath: string;
	    sourceDb: string;
	    destPath: string;
	    destDb: string;
	    owner: string;
	    service: string;
	
	    static createFrom(source: any = {}) {
	        return new BatchSite(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.line = source["line"];
	        this.domain = source["domain"];
	        this.newUrl = source["newUrl"];
	        this.sourcePath = source["sourcePath"];
	        this.sourceDb = source["sourceDb"];
	        this.destPath = source["destPath"];
	        this.destDb = source["destDb"];
	        this.owner = source["owner"];
	        this.service = source["service"];
	    }
	}
	export class BatchPreview {
	    file: string;
	    name: string;
	    columns: string[];
	    sites: BatchSite[];
	    problems: BatchProblem[];
	
	    static createFrom(source: any = {}) {
	        return new BatchPreview(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.file = source["file"];
	        this.name = source["name"];
	        this.columns = source["columns"];
	        this.sites = this.convertValues(source["sites"], BatchSite);
	        this.problems = this.convertValues(source["problems"], BatchProblem);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	
	export class ReplacementDTO {
	    find: string;
	    replace: string;
	
	    static createFrom(source: any = {}) {
	        return new ReplacementDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.find = source["find"];
	        this.replace = source["replace"];
	    }
	}
	export class OptionsDTO {
	    overwrite: boolean;
	    freshSalts: boolean;
	    excludes: string[];
	    httpCheck: boolean;
	    httpIp: string;
	    replacements: ReplacementDTO[];
	    filesOverFtpOnly: boolean;
	
	    static createFrom(source: any = {}) {
	        return new OptionsDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.overwrite = source["overwrite"];
	        this.freshSalts = source["freshSalts"];
	        this.excludes = source["excludes"];
	        this.httpCheck = source["httpCheck"];
	        this.httpIp = source["httpIp"];
	        this.replacements = this.convertValues(source["replacements"], ReplacementDTO);
	        this.filesOverFtpOnly = source["filesOverFtpOnly"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class DatabaseInput {
	    host: string;
	    port: number;
	    user: string;
	    password: string;
	    name: string;
	    sshTunnel: boolean;
	    fromWpConfig: boolean;
	    access?: string;
	    siteIp?: string;
	
	    static createFrom(source: any = {}) {
	        return new DatabaseInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.host = source["host"];
	        this.port = source["port"];
	        this.user = source["user"];
	        this.password = source["password"];
	        this.name = source["name"];
	        this.sshTunnel = source["sshTunnel"];
	        this.fromWpConfig = source["fromWpConfig"];
	        this.access = source["access"];
	        this.siteIp = source["siteIp"];
	    }
	}
	export class EndpointInput {
	    protocol: string;
	    host: string;
	    port: number;
	    user: string;
	    password: string;
	    privateKey: string;
	    passphrase: string;
	    path: string;
	    certFingerprint: string;
	    db: DatabaseInput;
	
	    static createFrom(source: any = {}) {
	        return new EndpointInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.protocol = source["protocol"];
	        this.host = source["host"];
	        this.port = source["port"];
	        this.user = source["user"];
	        this.password = source["password"];
	        this.privateKey = source["privateKey"];
	        this.passphrase = source["passphrase"];
	        this.path = source["path"];
	        this.certFingerprint = source["certFingerprint"];
	        this.db = this.convertValues(source["db"], DatabaseInput);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class CreateInput {
	    method: string;
	    userId: number;
	    userName: string;
	    userEmail: string;
	    service: string;
	    domain: string;
	    oldUrl: string;
	    newUrl: string;
	    source: EndpointInput;
	    destination: EndpointInput;
	    options: OptionsDTO;
	
	    static createFrom(source: any = {}) {
	        return new CreateInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.method = source["method"];
	        this.userId = source["userId"];
	        this.userName = source["userName"];
	        this.userEmail = source["userEmail"];
	        this.service = source["service"];
	        this.domain = source["domain"];
	        this.oldUrl = source["oldUrl"];
	        this.newUrl = source["newUrl"];
	        this.source = this.convertValues(source["source"], EndpointInput);
	        this.destination = this.convertValues(source["destination"], EndpointInput);
	        this.options = this.convertValues(source["options"], OptionsDTO);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class BatchStart {
	    name: string;
	    shared: CreateInput;
	    sitesPath: string;
	
	    static createFrom(source: any = {}) {
	        return new BatchStart(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.shared = this.convertValues(source["shared"], CreateInput);
	        this.sitesPath = source["sitesPath"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ProgressDTO {
	    percent: number;
	    speed: number;
	    etaSeconds: number;
	
	    static createFrom(source: any = {}) {
	        return new ProgressDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.percent = source["percent"];
	        this.speed = source["speed"];
	        this.etaSeconds = source["etaSeconds"];
	    }
	}
	export class UserDTO {
	    id: number;
	    name: string;
	    email: string;
	    status: string;
	
	    static createFrom(source: any = {}) {
	        return new UserDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.email = source["email"];
	        this.status = source["status"];
	    }
	}
	export class MigrationRow {
	    id: number;
	    user: UserDTO;
	    service: string;
	    domain: string;
	    method: string;
	    batch: string;
	    status: string;
	    tab: string;
	    statusText: string;
	    failureReason: string;
	    currentStep: string;
	    failedStep: string;
	    actionRequired: boolean;
	    progress?: ProgressDTO;
	    actions: string[];
	    sourceSummary: string;
	    destinationSummary: string;
	    createdAt: number;
	    startedAt: number;
	    completedAt: number;
	    updatedAt: number;
	
	    static createFrom(source: any = {}) {
	        return new MigrationRow(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.user = this.convertValues(source["user"], UserDTO);
	        this.service = source["service"];
	        this.domain = source["domain"];
	        this.method = source["method"];
	        this.batch = source["batch"];
	        this.status = source["status"];
	        this.tab = source["tab"];
	        this.statusText = source["statusText"];
	        this.failureReason = source["failureReason"];
	        this.currentStep = source["currentStep"];
	        this.failedStep = source["failedStep"];
	        this.actionRequired = source["actionRequired"];
	        this.progress = this.convertValues(source["progress"], ProgressDTO);
	        this.actions = source["actions"];
	        this.sourceSummary = source["sourceSummary"];
	        this.destinationSummary = source["destinationSummary"];
	        this.createdAt = source["createdAt"];
	        this.startedAt = source["startedAt"];
	        this.completedAt = source["completedAt"];
	        this.updatedAt = source["updatedAt"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class BatchSummary {
	    id: number;
	    name: string;
	    createdAt: number;
	    sites: number;
	    migrations: number[];
	    created: number;
	    retried: number;
	    done: number;
	    running: number;
	    failed: number;
	    waiting: number;
	    bytes: number;
	    sourceBytes: number;
	    etaSeconds: number;
	    eta: string;
	    rows: MigrationRow[];
	
	    static createFrom(source: any = {}) {
	        return new BatchSummary(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.createdAt = source["createdAt"];
	        this.sites = source["sites"];
	        this.migrations = source["migrations"];
	        this.created = source["created"];
	        this.retried = source["retried"];
	        this.done = source["done"];
	        this.running = source["running"];
	        this.failed = source["failed"];
	        this.waiting = source["waiting"];
	        this.bytes = source["bytes"];
	        this.sourceBytes = source["sourceBytes"];
	        this.etaSeconds = source["etaSeconds"];
	        this.eta = source["eta"];
	        this.rows = this.convertValues(source["rows"], MigrationRow);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class BulkResult {
	    done: number[];
	    failed: Record<number, string>;
	
	    static createFrom(source: any = {}) {
	        return new BulkResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.done = source["done"];
	        this.failed = source["failed"];
	    }
	}
	export class CheckDTO {
	    name: string;
	    ok: boolean;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new CheckDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.ok = source["ok"];
	        this.message = source["message"];
	    }
	}
	
	export class DatabaseDTO {
	    host: string;
	    port: number;
	    user: string;
	    password: string;
	    hasPassword: boolean;
	    name: string;
	    sshTunnel: boolean;
	    fromWpConfig: boolean;
	    access?: string;
	    siteIp?: string;
	
	    static createFrom(source: any = {}) {
	        return new DatabaseDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.host = source["host"];
	        this.port = source["port"];
	        this.user = source["user"];
	        this.password = source["password"];
	        this.hasPassword = source["hasPassword"];
	        this.name = source["name"];
	        this.sshTunnel = source["sshTunnel"];
	        this.fromWpConfig = source["fromWpConfig"];
	        this.access = source["access"];
	        this.siteIp = source["siteIp"];
	    }
	}
	
	export class LogDTO {
	    seq: number;
	    time: number;
	    level: string;
	    step: string;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new LogDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.seq = source["seq"];
	        this.time = source["time"];
	        this.level = source["level"];
	        this.step = source["step"];
	        this.message = source["message"];
	    }
	}
	export class StepDTO {
	    id: string;
	    number: number;
	    title: string;
	    state: string;
	    startedAt: number;
	    finishedAt: number;
	    durationMs: number;
	    error: string;
	    percent: number;
	
	    static createFrom(source: any = {}) {
	        return new StepDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.number = source["number"];
	        this.title = source["title"];
	        this.state = source["state"];
	        this.startedAt = source["startedAt"];
	        this.finishedAt = source["finishedAt"];
	        this.durationMs = source["durationMs"];
	        this.error = source["error"];
	        this.percent = source["percent"];
	    }
	}
	export class EndpointDTO {
	    protocol: string;
	    host: string;
	    port: number;
	    user: string;
	    password: string;
	    hasPassword: boolean;
	    hasPrivateKey: boolean;
	    path: string;
	    hostKey: string;
	    certFingerprint: string;
	    db: DatabaseDTO;
	
	    static createFrom(source: any = {}) {
	        return new EndpointDTO(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.protocol = source["protocol"];
	        this.host = source["host"];
	        this.port = source["port"];
	        this.user = source["user"];
	        this.password = source["password"];
	        this.hasPassword = source["hasPassword"];
	        this.hasPrivateKey = source["hasPrivateKey"];
	        this.path = source["path"];
	        this.hostKey = source["hostKey"];
	        this.certFingerprint = source["certFingerprint"];
	        this.db = this.convertValues(source["db"], DatabaseDTO);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class MigrationDetail {
	    id: number;
	    user: UserDTO;
	    service: string;
	    domain: string;
	    method: string;
	    batch: string;
	    status: string;
	    tab: string;
	    statusText: string;
	    failureReason: string;
	    currentStep: string;
	    failedStep: string;
	    actionRequired: boolean;
	    progress?: ProgressDTO;
	    actions: string[];
	    sourceSummary: string;
	    destinationSummary: string;
	    createdAt: number;
	    startedAt: number;
	    completedAt: number;
	    updatedAt: number;
	    oldUrl: string;
	    newUrl: string;
	    source: EndpointDTO;
	    destination: EndpointDTO;
	    options: OptionsDTO;
	    steps: StepDTO[];
	    logs: LogDTO[];
	    files: AttachedFileDTO[];
	    totalMs: number;
	    wallMs: number;
	    checks: CheckDTO[];
	    warnings: string[];
	
	    static createFrom(source: any = {}) {
	        return new MigrationDetail(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.user = this.convertValues(source["user"], UserDTO);
	        this.service = source["service"];
	        this.domain = source["domain"];
	        this.method = source["method"];
	        this.batch = source["batch"];
	        this.status = source["status"];
	        this.tab = source["tab"];
	        this.statusText = source["statusText"];
	        this.failureReason = source["failureReason"];
	        this.currentStep = source["currentStep"];
	        this.failedStep = source["failedStep"];
	        this.actionRequired = source["actionRequired"];
	        this.progress = this.convertValues(source["progress"], ProgressDTO);
	        this.actions = source["actions"];
	        this.sourceSummary = source["sourceSummary"];
	        this.destinationSummary = source["destinationSummary"];
	        this.createdAt = source["createdAt"];
	        this.startedAt = source["startedAt"];
	        this.completedAt = source["completedAt"];
	        this.updatedAt = source["updatedAt"];
	        this.oldUrl = source["oldUrl"];
	        this.newUrl = source["newUrl"];
	        this.source = this.convertValues(source["source"], EndpointDTO);
	        this.destination = this.convertValues(source["destination"], EndpointDTO);
	        this.options = this.convertValues(source["options"], OptionsDTO);
	        this.steps = this.convertValues(source["steps"], StepDTO);
	        this.logs = this.convertValues(source["logs"], LogDTO);
	        this.files = this.convertValues(source["files"], AttachedFileDTO);
	        this.totalMs = source["totalMs"];
	        this.wallMs = source["wallMs"];
	        this.checks = this.convertValues(source["checks"], CheckDTO);
	        this.warnings = source["warnings"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class EditResult {
	    detail: MigrationDetail;
	    changed: string[];
	    restart: boolean;
	
	    static createFrom(source: any = {}) {
	        return new EditResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.detail = this.convertValues(source["detail"], MigrationDetail);
	        this.changed = source["changed"];
	        this.restart = source["restart"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	
	export class ExportInput {
	    format: string;
	    path: string;
	    ids: number[];
	    search: string;
	    since: number;
	    until: number;
	    bom: boolean;
	    anonymise: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ExportInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.format = source["format"];
	        this.path = source["path"];
	        this.ids = source["ids"];
	        this.search = source["search"];
	        this.since = source["since"];
	        this.until = source["until"];
	        this.bom = source["bom"];
	        this.anonymise = source["anonymise"];
	    }
	}
	export class ExportResult {
	    path: string;
	    format: string;
	    count: number;
	    bytes: number;
	
	    static createFrom(source: any = {}) {
	        return new ExportResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.format = source["format"];
	        this.count = source["count"];
	        this.bytes = source["bytes"];
	    }
	}
	export class ListQuery {
	    tab: string;
	    search: string;
	    batch?: string;
	    sort: string;
	    desc: boolean;
	    page: number;
	    pageSize: number;
	
	    static createFrom(source: any = {}) {
	        return new ListQuery(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.tab = source["tab"];
	        this.search = source["search"];
	        this.batch = source["batch"];
	        this.sort = source["sort"];
	        this.desc = source["desc"];
	        this.page = source["page"];
	        this.pageSize = source["pageSize"];
	    }
	}
	export class TabCounts {
	    inProgress: number;
	    failed: number;
	    successful: number;
	
	    static createFrom(source: any = {}) {
	        return new TabCounts(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.inProgress = source["inProgress"];
	        this.failed = source["failed"];
	        this.successful = source["successful"];
	    }
	}
	export class ListResult {
	    rows: MigrationRow[];
	    total: number;
	    page: number;
	    pageSize: number;
	    counts: TabCounts;
	
	    static createFrom(source: any = {}) {
	        return new ListResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.rows = this.convertValues(source["rows"], MigrationRow);
	        this.total = source["total"];
	        this.page = source["page"];
	        this.pageSize = source["pageSize"];
	        this.counts = this.convertValues(source["counts"], TabCounts);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	
	
	
	
	
	export class Settings {
	    concurrentMigrations: number;
	    transferConnections: number;
	    theme: string;
	    dataDir: string;
	
	    static createFrom(source: any = {}) {
	        return new Settings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.concurrentMigrations = source["concurrentMigrations"];
	        this.transferConnections = source["transferConnections"];
	        this.theme = source["theme"];
	        this.dataDir = source["dataDir"];
	    }
	}
	
	
	
	export class VerifyProblem {
	    message: string;
	    warning: boolean;
	    file: string;
	
	    static createFrom(source: any = {}) {
	        return new VerifyProblem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.message = source["message"];
	        this.warning = source["warning"];
	        this.file = source["file"];
	    }
	}
	export class VerifyReport {
	    ok: boolean;
	    found: string[];
	    problems: VerifyProblem[];
	    wordpressVersion: string;
	    files: number;
	    bytes: number;
	    tablePrefix: string;
	    tables: number;
	    siteUrl: string;
	    verifiedAt: number;
	
	    static createFrom(source: any = {}) {
	        return new VerifyReport(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.ok = source["ok"];
	        this.found = source["found"];
	        this.problems = this.convertValues(source["problems"], VerifyProblem);
	        this.wordpressVersion = source["wordpressVersion"];
	        this.files = source["files"];
	        this.bytes = source["bytes"];
	        this.tablePrefix = source["tablePrefix"];
	        this.tables = source["tables"];
	        this.siteUrl = source["siteUrl"];
	        this.verifiedAt = source["verifiedAt"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

