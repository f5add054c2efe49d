"""The app server's kernel manager (imported by Voila's server process, never by a page).

With a pool of pre-executed kernels, a kernel's last activity is its execution in the pool,
possibly long before a page takes it. Jupyter's culler counts idleness from that moment, so
it could shut a kernel down between the page taking it and the browser connecting to it
(seen on a busy machine: the page then waits for a kernel that is gone). Here a kernel's
idle time is counted from the later of its last activity and the first time the culler
sees it outside the pool (Voila's pool manager never passes pooled kernels on to be culled).
"""

from __future__ import annotations

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager


class AppKernelManager(AsyncMappingKernelManager):
    """Jupyter's kernel manager, idle time counted from when a kernel left the pool.

    Voila builds its pooling manager on this class (`VoilaConfiguration.
    multi_kernel_manager_class`); options are those of `AsyncMappingKernelManager`.

    Parameters
    ----------
    **kwargs
        Passed to `AsyncMappingKernelManager`.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._released: dict[str, object] = {}

    async def cull_kernel_if_idle(self, kernel_id: str):
        """Cull `kernel_id` if it has been idle `cull_idle_timeout` seconds since it last
        did something or left the pool, whichever is later.

        Parameters
        ----------
        kernel_id : str
            The kernel to check.

        Returns
        -------
        None
            What the base class returns.
        """
        kernel = self._kernels.get(kernel_id)
        released = self._released.setdefault(kernel_id, utcnow())
        if kernel is not None and getattr(kernel, "last_activity", released) < released:
            kernel.last_activity = released
        return await super().cull_kernel_if_idle(kernel_id)

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        """Shut `kernel_id` down and forget when it left the pool.

        Parameters
        ----------
        kernel_id : str
            The kernel to shut down.
        *args, **kwargs
            Passed to the base class (`now`, `restart`).

        Returns
        -------
        None
            What the base class returns.
        """
        self._released.pop(kernel_id, None)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)
