"""What a long-running process does once its start-up is over, and how it asks its C allocator
to behave."""

import ctypes
import gc

# glibc's mallopt parameter for the size from which a block is mapped on its own (malloc.h).
_M_MMAP_THRESHOLD = -3
_MAPPED_FROM_BYTES = 128 * 1024  # glibc's own starting value


def return_freed_buffers() -> bool:
    """Keeps glibc's threshold for mapping a block on its own at 128 KiB, so that a freed
    block that size or larger, once mapped, goes back to the system at once. False where the
    C library has no glibc `mallopt` (musl: the setting is glibc's).

    A Kafka fetch response arrives as one buffer per partition (up to the fetch size, a MiB
    or more while a consumer catches up). glibc maps such a block on its own, but each time
    one is freed it raises that threshold to the block's size (up to 32 MiB): from then on
    they are carved from the heap, where the small objects that outlive them pin the pages,
    so a worker's resident memory stays at its catch-up peak. Set once, the threshold no
    longer moves (mallopt turns the raising off), whenever in the process it is called.
    Reporting started 70,000 events behind, resident peak alternated in two pairs (`python
    -m bench reporting`, scratch variant): 156.6 / 148.1 MiB as glibc starts, 143.5 / 143.0
    with the threshold fixed. A preloaded allocator (jemalloc, tcmalloc) ignores it."""
    try:
        libc = ctypes.CDLL(None)  # the C library this process already has loaded
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # no such library, no mallopt, not POSIX
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MAPPED_FROM_BYTES))


def freeze_start_up() -> None:
    """Moves every object made so far out of the collector's reach for good.

    What start-up makes (the modules, their classes and functions, the app: about 150,000
    objects the collector tracks in a service) lives as long as the process, yet every full
    collection walked it all. A full collection follows once enough objects have outlived two
    young ones, and under load that comes every second or two: intake's took about 120 ms
    each, 4.2 s of its 27.7 s of CPU over two pipeline runs of bench/system.py, each a pause of
    its event loop; frozen, about 8 ms each, 0.3 s in all. Anything made after this is
    collected as before."""
    gc.collect()
    gc.freeze()
