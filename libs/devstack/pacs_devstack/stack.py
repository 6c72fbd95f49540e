"""The platform as separate processes: a SecantusDB per service, every service under uvicorn, nginx in front,
and Prometheus scraping them with the platform's rules when it is installed."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from pacs_devstack.processes import Process, free_port, port_open, secantus_argv, secantus_url, wait_for
from pacs_kit.services import DEFAULT_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "deploy" / "gateway" / "nginx.conf.template"
RULES = ROOT / "deploy" / "prometheus" / "rules"

__all__ = ["SERVICES", "Stack", "StackConfig"]


@dataclass
class StackConfig:
    run_dir: Path
    amqp_url: str
    mongodb_url: str | None = None  # None: start a SecantusDB per service with its data under run_dir
    namespace: str = "pacs"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    gateway_rate: int = 200  # requests a second per credential at the gateway
    gateway_burst: int = 400
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    environment: str = "development"
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def ephemeral(cls, run_dir: Path, amqp_url: str, mongodb_url: str | None, namespace: str) -> StackConfig:
        """Free ports everywhere, for tests that run beside a developer's `make run`."""
        return cls(
            run_dir=run_dir,
            amqp_url=amqp_url,
            mongodb_url=mongodb_url,
            namespace=namespace,
            gateway_port=free_port(),
            ports={name: free_port() for name in SERVICES},
            environment="test",
        )


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.run_dir = config.run_dir.resolve()
        # each service's database server: its own SecantusDB, or the one MONGODB_URL names for all
        self.database_urls: dict[str, str] = dict.fromkeys(SERVICES, config.mongodb_url) if config.mongodb_url else {}
        self.processes: dict[str, Process] = {}
        self._database_ports: dict[str, int] = {}

    @property
    def gateway_url(self) -> str:
        return f"http://{self.config.gateway_host}:{self.config.gateway_port}"

    @property
    def notify_log(self) -> Path:
        return self.run_dir / "notifications.log"

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.config.ports[name]}"

    def start(self, timeout: float = 60.0) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.start_database()
        for name in SERVICES:
            self.start_service(name)
        self.wait_ready(SERVICES, timeout)
        self.start_gateway()

    @property
    def owns_database(self) -> bool:
        return self.config.mongodb_url is None

    def start_database(self, *names: str) -> None:
        """Start the SecantusDB of each service (or of those named), on the same port and data as before when
        started again, unless a MONGODB_URL was given. They start together: each is one process and one core."""
        if not self.owns_database:
            return
        names = names or SERVICES
        for name in names:
            port = self._database_ports.setdefault(name, free_port())
            argv = secantus_argv(port, self.run_dir / "databases" / name)
            database = Process(f"database-{name}", argv, self.run_dir / "logs" / f"database-{name}.log")
            database.start()
            self.processes[database.name] = database
            self.database_urls[name] = secantus_url(port)
        for name in names:
            wait_for(lambda p=self._database_ports[name]: port_open(p), 30, f"SecantusDB of {name}")
        # where `pacs-admin` finds each service's database when run in this checkout
        (self.run_dir / "databases.json").write_text(json.dumps(self.database_urls, indent=2))

    def database_answers(self, name: str, timeout: float = 5.0) -> bool:
        """Whether a service's database process is running and answers a ping within `timeout`."""
        process = self.processes.get(f"database-{name}")
        if process is None or not process.running:
            return False
        client: MongoClient[dict[str, object]] = MongoClient(
            self.database_urls[name], serverSelectionTimeoutMS=int(timeout * 1000), socketTimeoutMS=int(timeout * 1000)
        )
        try:
            client.admin.command("ping")
        except PyMongoError:
            return False
        finally:
            client.close()
        return True

    def supervise_databases(self, stopping: threading.Event, every: float = 5.0, misses: int = 3) -> None:
        """Until stopped: a service's database that has died, or has not answered a ping for `misses` checks in a
        row (a wedged server), is killed and started again on the same port and data. The services ride it out as
        they do any database outage: readiness says so, writes answer 503 with Retry-After, nothing accepted is
        lost."""
        silent = dict.fromkeys(self.database_urls, 0)
        while self.owns_database and not stopping.wait(every):
            for name in silent:
                silent[name] = 0 if self.database_answers(name) else silent[name] + 1
                if silent[name] >= misses or not self.processes[f"database-{name}"].running:
                    print(f"database of {name} not answering; restarting it", file=sys.stderr, flush=True)
                    self.processes[f"database-{name}"].kill()  # a wedged server may not heed a SIGTERM
                    self.start_database(name)
                    silent[name] = 0

    def stop_database(self, *names: str) -> None:
        """Stop the databases this stack started (all, or those named)."""
        for name in names or SERVICES:
            self.processes[f"database-{name}"].stop()

    def service_env(self, name: str) -> dict[str, str]:
        return {
            "AMQP_URL": self.config.amqp_url,
            f"{name.upper()}_MONGODB_URL": self.database_urls[name],
            "BUS_NAMESPACE": self.config.namespace,
            "ENVIRONMENT": self.config.environment,
            "NOTIFY_LOG_PATH": str(self.notify_log),
            "NOTIFY_PUBLIC_URL": self.gateway_url,
            "CONSOLE_API_URL": self.gateway_url,
            "ACCESS_PUBLIC_URL": self.gateway_url,
            "ACCESS_CA_KEY_PATH": str(self.run_dir / "access" / "ca_ed25519"),  # one CA per stack, in its run dir
            f"{name.upper()}_PORT": str(self.config.ports[name]),
            **self.config.extra_env,
        }

    def start_service(self, name: str) -> None:
        argv = [
            sys.executable, "-m", "uvicorn", "--factory", f"pacs_{name}.main:create_app",
            "--host", "127.0.0.1", "--port", str(self.config.ports[name]),
            "--no-access-log", "--timeout-graceful-shutdown", "5",
        ]  # fmt: skip
        process = Process(name, argv, self.run_dir / "logs" / f"{name}.log", self.service_env(name))
        process.start()
        self.processes[name] = process

    def ready(self, name: str) -> bool:
        return _answers(self.service_url(name) + "/readyz")

    def wait_ready(self, names: tuple[str, ...] | list[str], timeout: float = 60.0) -> None:
        for name in names:
            try:
                wait_for(lambda n=name: self.ready(n), timeout, f"service {name}", interval=0.2)
            except TimeoutError as exc:
                raise TimeoutError(f"{exc}; its log ends with:\n{self.processes[name].tail()}") from None

    def start_gateway(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        conf = self.render_gateway()
        gateway = Process(
            "gateway",
            [nginx, "-e", str(self.run_dir / "nginx-error.log"), "-c", str(conf), "-g", "daemon off;"],
            self.run_dir / "logs" / "gateway.log",
        )
        gateway.start()
        self.processes["gateway"] = gateway
        try:
            wait_for(lambda: port_open(self.config.gateway_port, self.config.gateway_host), 15, "nginx gateway")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}: {gateway.tail()}") from None

    def render_gateway(self) -> Path:
        values = {
            "RUN_DIR": str(self.run_dir),
            "GATEWAY_HOST": self.config.gateway_host,
            "GATEWAY_PORT": str(self.config.gateway_port),
            "RATE": str(self.config.gateway_rate),
            "BURST": str(self.config.gateway_burst),
            **{f"{name.upper()}_PORT": str(port) for name, port in self.config.ports.items()},
        }
        text = TEMPLATE.read_text()
        for key, value in values.items():
            text = text.replace(f"@{key}@", value)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run_dir / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
        conf = self.run_dir / "nginx.conf"
        conf.write_text(text)
        return conf

    def kill(self, name: str) -> None:
        self.processes[name].kill()

    def restart(self, name: str, timeout: float = 60.0) -> None:
        self.processes[name].stop()
        self.start_service(name)
        self.wait_ready([name], timeout)

    def start_prometheus(self, port: int, scrape_interval: str = "5s") -> str:
        """The OS package's Prometheus scraping every service, labelled `service` as in the cluster, with the
        platform's rules; its data lives under the run directory. Returns its URL."""
        targets = [{"targets": [f"127.0.0.1:{self.config.ports[s]}"], "labels": {"service": s}} for s in SERVICES]
        config = {
            "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
            "rule_files": [str(RULES / "*.yml")],
            "scrape_configs": [{"job_name": "pacs", "static_configs": targets}],
        }
        path = self.run_dir / "prometheus.yml"
        path.write_text(json.dumps(config, indent=2))  # JSON is YAML
        argv = [shutil.which("prometheus") or "prometheus", f"--config.file={path}",
                f"--storage.tsdb.path={self.run_dir / 'prometheus'}",
                f"--web.listen-address=127.0.0.1:{port}"]  # fmt: skip
        process = Process("prometheus", argv, self.run_dir / "logs" / "prometheus.log")
        process.start()
        self.processes["prometheus"] = process
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(url + "/-/ready"), 30, "Prometheus")
        return url

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.processes[name].stop()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
