"""The CLIP weight download's home in models/: the shared resumable downloader of :mod:`cliport.download`.

Kept so that ``cliport.models.clip.download.download_file`` keeps working for existing callers.
"""

from cliport.download import DownloadError, download_file

__all__ = ["DownloadError", "download_file"]
