"""Scrapy settings of the siteaudit project.

These are the defaults for `scrapy crawl site -a config=FILE`; `crawler.runner.settings_for` derives the
same settings from a site config, which is what `siteaudit audit` uses.
"""

from siteaudit.core import pacing

BOT_NAME = "siteaudit"
SPIDER_MODULES = ["siteaudit.crawler.spiders"]
NEWSPIDER_MODULE = "siteaudit.crawler.spiders"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Politeness
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_TARGET_CONCURRENCY = 6.0  # requests started per latency interval; CONCURRENT_REQUESTS_PER_DOMAIN caps those in flight
AUTOTHROTTLE_START_DELAY = pacing.START_DELAY  # until a host's first answer sets its pace (crawler.throttle)
AUTOTHROTTLE_MAX_DELAY = pacing.MAX_DELAY
DOWNLOAD_DELAY_JITTER = 0.0  # even spacing: a random ±50% costs pace and spares the server nothing
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
USER_AGENT = "siteaudit/0.1 (website compliance auditor)"
DOWNLOAD_TIMEOUT = 30
COOKIES_ENABLED = False
CONCURRENT_ITEMS = 1  # the store pipeline is synchronous; more only multiplies asyncio tasks per response
DOWNLOAD_VERIFY_CERTIFICATES = True  # an expired or self-signed certificate is a finding, not a pass

# The spider records every hop and every status itself.
REDIRECT_ENABLED = False
METAREFRESH_ENABLED = False
HTTPERROR_ALLOW_ALL = True
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
# A missing host or a refused connection is an answer; timeouts and dropped connections are retried.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.TimeoutError",
    "twisted.internet.error.TCPTimedOutError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectionLost",
    "twisted.web._newclient.ResponseNeverReceived",
]
# Breadth-first (FIFO queues): a page is first met at its smallest depth. The spider counts depth itself.
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Only http(s) is ever fetched (siteaudit.core.fetchpolicy): no local files, FTP, S3 or data: URLs, whatever a
# page or a redirect points at.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}

DOWNLOAD_MAXSIZE = 0  # crawler.middlewares.BodyLimit cuts bodies at their own limit and keeps the head
DOWNLOAD_WARNSIZE = 0
DOWNLOAD_FAIL_ON_DATALOSS = False

# Components the spider does not need are switched off: each one costs time on every request.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "siteaudit.crawler.middlewares.RobotsTxt": 100,  # robots.txt answering 5xx disallows all (RFC 9309)
    "siteaudit.crawler.middlewares.RetryAfterMiddleware": 560,
    "siteaudit.crawler.throttle.TimeoutSlowDown": 590,
    "siteaudit.crawler.middlewares.DecompressionLimit": 595,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
}
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
REMOTE_CONTROL_ENABLED = False  # no listening port of our own
# Scrapy loads every key of EXTENSIONS to normalise it, a key set to None included (remote_control alone imports
# aiohttp, a tenth of a second). So the base list itself names only the extensions the crawl uses: stats, log
# counts, memory use and log stats. Left out, each would only say NotConfigured here: the telnet console, remote
# control, feed export, spider state (no JOBDIR), memory debugging, CLOSESPIDER_* and Scrapy's AutoThrottle
# (crawler.throttle.PoliteThrottle replaces it).
EXTENSIONS_BASE = {
    "scrapy.extensions.corestats.CoreStats": 0,
    "scrapy.extensions.logcount.LogCount": 0,
    "scrapy.extensions.memusage.MemoryUsage": 0,
    "scrapy.extensions.logstats.LogStats": 0,
}
EXTENSIONS = {
    "siteaudit.crawler.middlewares.BodyLimit": 100,
    "siteaudit.crawler.progress.Progress": 200,
    "siteaudit.crawler.throttle.PoliteThrottle": 0,  # every prompt answer is a sample; 429/503/timeouts slow down
}
ITEM_PIPELINES = {"siteaudit.crawler.pipelines.StorePipeline": 300}

SITEAUDIT_STORE = ""
SITEAUDIT_MAX_PAGE_BYTES = 10 * 1024 * 1024
SITEAUDIT_SNIFF_BYTES = 65536
SITEAUDIT_RETRIES = 2
SITEAUDIT_MAX_RETRY_AFTER = 120
SITEAUDIT_PROGRESS = False
SITEAUDIT_TIMEZONE = "Asia/Taipei"   # site.timezone: progress lines and crawl.log are dated in it

LOG_LEVEL = "INFO"
LOG_FORMATTER = "siteaudit.crawler.logformat.QuietLogFormatter"
STATS_CLASS = "siteaudit.crawler.stats.PlainStats"
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
