"""A JupyterHub for a class on one machine: `jupyterhub -f classroom/jupyterhub_config.py`.

Every learner logs in with the class password, gets a JupyterLab of their own with the course's
environment (this checkout's) and a copy of the course's notebooks in their folder; idle kernels and
servers are shut down so that a room of thirty fits a small machine (README, "A hub on one machine").
The settings come from the environment:

- DLTEACH_HUB_PASSWORD   the learners' password (at least 8 characters); required
- DLTEACH_HUB_ADMIN_PASSWORD  the teacher's (user "teacher", an admin; at least 32 characters); optional
- DLTEACH_HUB_STATE      where the hub keeps its database, secrets and learners' folders (default classroom/state)
- DLTEACH_HUB_IP, DLTEACH_HUB_PORT  where it listens (default 127.0.0.1:8000; the hub and the proxy's API
  take the two ports after it)
- DLTEACH_HUB_LOADTEST_TOKEN  an API token for classroom/loadtest.py (only while it runs)
"""

import os
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub provides it)

CHECKOUT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("DLTEACH_HUB_STATE", CHECKOUT / "classroom" / "state")).resolve()
USERS = STATE / "users"
USERS.mkdir(parents=True, exist_ok=True)

PORT = int(os.environ.get("DLTEACH_HUB_PORT", "8000"))
c.JupyterHub.ip = os.environ.get("DLTEACH_HUB_IP", "127.0.0.1")
c.JupyterHub.port = PORT
c.JupyterHub.hub_port = PORT + 1  # the hub and the proxy's API, on the two ports after it (loopback only)
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 2}"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
# The proxy is configurable-http-proxy's Python port (the pip package of that name): no Node.js needed;
# classroom/proxy.py lets it forward more than 10 requests at once.
c.ConfigurableHTTPProxy.command = [sys.executable, str(CHECKOUT / "classroom" / "proxy.py")]

# -- who may log in: one password for the class, another for the teacher -------------------------------
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["DLTEACH_HUB_PASSWORD"]
if os.environ.get("DLTEACH_HUB_ADMIN_PASSWORD"):
    c.SharedPasswordAuthenticator.admin_password = os.environ["DLTEACH_HUB_ADMIN_PASSWORD"]
    c.Authenticator.admin_users = {"teacher"}
c.Authenticator.allow_all = True

# -- each learner: a JupyterLab in a folder of their own, the course copied in at the first start -----
# The learners' servers run as the hub's own system user (SimpleLocalProcessSpawner): right for a room
# that trusts itself. For learners who must not see each other's files, use system users
# (LocalProcessSpawner, as The Littlest JupyterHub does) or containers.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(USERS / "{username}")
c.Spawner.default_url = "/lab/tree/dlteach/00_index.ipynb"
c.Spawner.notebook_dir = "~"


def copy_course(spawner):
    """The course's notebooks into the learner's folder, once: their edits are theirs to keep; and
    JupyterLab told not to ask about Jupyter news (a classroom may be offline)."""
    home = USERS / spawner.user.name
    if not (home / "dlteach").exists():
        shutil.copytree(CHECKOUT / "notebooks", home / "dlteach", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    news = home / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    if not news.exists():
        news.parent.mkdir(parents=True, exist_ok=True)
        news.write_text('{"fetchNews": "false"}\n')


c.Spawner.pre_spawn_hook = copy_course


def runtime_dir(spawner):
    """Kernels talk over Unix sockets (below): their paths must be short, so not in the learner's folder."""
    return str(Path("/tmp") / f"dlteach-hub-{os.getuid()}" / spawner.user.name)


c.Spawner.environment = {
    # one BLAS/OpenMP thread per kernel: thirty kernels on a few cores do not fight over threads
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "JUPYTER_RUNTIME_DIR": runtime_dir,
}
c.Spawner.args = [
    # kernels over Unix sockets, not TCP ports: a restarted kernel cannot lose a port to another learner
    "--KernelManager.transport=ipc",
    # a kernel idle for 20 minutes is shut down (the notebook stays; Run All brings it back)
    "--MappingKernelManager.cull_idle_timeout=1200",
    "--MappingKernelManager.cull_interval=120",
    "--MappingKernelManager.cull_connected=True",
    # a classroom may be offline: no news feed, no update checks
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
]
if os.getuid() == 0:  # a container where everything is root; elsewhere run the hub as an ordinary user
    c.Spawner.args.append("--allow-root")
# Thirty learners starting at once on two cores: the slowest server was up after 56 s
# (classroom/loadtest.py; JupyterHub's default of 60 s would have failed some). Three times that.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.JupyterHub.concurrent_spawn_limit = 0  # no limit: the README's table is measured so

# -- servers idle for an hour are stopped (jupyterhub-idle-culler), their files kept --------------------
c.JupyterHub.services = [
    {"name": "idle-culler", "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600"]},
]
c.JupyterHub.load_roles = [
    {"name": "idle-culler", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]

# -- classroom/loadtest.py: a service token that may create learners and start their servers ------------
if os.environ.get("DLTEACH_HUB_LOADTEST_TOKEN"):
    c.JupyterHub.services.append({"name": "loadtest", "api_token": os.environ["DLTEACH_HUB_LOADTEST_TOKEN"]})
    c.JupyterHub.load_roles.append({"name": "loadtest", "services": ["loadtest"], "scopes": [
        "admin:users", "admin:servers", "tokens", "access:servers"]})
