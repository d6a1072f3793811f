"""Text templates that `siteaudit init` writes."""

CONFIG_TEMPLATE = '''# siteaudit site configuration (TOML). Reference: README.md, "Configuration".

[site]
name = "my-site"                              # short name; runs of one site are compared with each other
agency = "台灣自來水公司第○區管理處"            # shown on the report cover
start_urls = ["https://www.example.gov.tw/"]  # where the crawl starts
# allowed_hosts = ["www.example.gov.tw"]      # hosts crawled as "the site" (default: the start URLs' hosts)
# path_prefixes = ["/dist1/"]                 # only crawl below these paths; other same-host links are checked
# exclude = ["/Search\\\\?", "print=1"]          # regexes of URLs never fetched
contact_url = "https://www.example.gov.tw/contact"  # put in the User-Agent so site owners can reach you
timezone = "Asia/Taipei"                      # IANA zone of every date and time shown (report, console, exports)

[crawl]
max_pages = 5000            # stop scheduling pages after this many
max_depth = 20              # link hops from a start URL
concurrency = 8             # requests in flight in total
concurrency_per_host = 4    # requests in flight per host (polite: keep it low on real sites)
autothrottle = true         # pace from each answer's latency; only 429, 503 and timeouts slow a host down
obey_robots = true          # honour robots.txt for the site's own pages
sitemaps = true             # also start from the sitemaps named in robots.txt or /sitemap.xml
max_sitemaps = 50           # sitemaps read at most, indexes included (a nested index cannot flood the crawl)
max_sitemap_depth = 3       # levels of sitemap indexes read (1: only the sitemaps robots.txt names)
download_timeout = 30       # seconds per request, from connecting to the last byte
max_page_bytes = 10485760   # a page is cut (and marked truncated) past this many bytes
sniff_bytes = 65536         # documents and external targets: keep only this many bytes
retries = 2                 # retries for timeouts, 5xx, and 429/503 (honouring Retry-After)
max_retry_after = 120       # seconds; a longer Retry-After is not waited for
max_query_strings_per_path = 20000  # distinct query strings crawled per path (CMS sites need it high)
max_growing_chain = 10      # calendar/paging trap: same path, a date or number growing link after link
max_repeated_segments = 3   # /a/b/a/b/a/b... trap
check_external = true       # check (never crawl) links to other hosts
external_cache_hours = 24   # reuse external results of recent runs (0: re-check every link every night)
verify_tls = true           # an expired or self-signed certificate is a finding
workers = 1                 # 2: check documents and external links in a second process (same total concurrency)
# user_agent = ""           # default: siteaudit/VERSION (website compliance auditor; +contact_url)

[store]
# path = "~/.local/share/siteaudit/siteaudit.sqlite3"   # default: $XDG_DATA_HOME/siteaudit/siteaudit.sqlite3
# url = "postgresql://siteaudit@db.example.internal:5432/siteaudit"   # instead of path: a fleet's shared store

[fleet]
# broker = "amqp://guest:guest@127.0.0.1:5672//"   # RabbitMQ (recommended) or redis://…; default redis://127.0.0.1:6379/0
# state = "redis://127.0.0.1:6379/0"   # sites' states and host locks (default: the broker when it is Redis)
# lock_seconds = 60         # a dead worker's host lock (and accessibility batch lease) lapses after this long
# a11y_batch_pages = 20     # pages per accessibility batch handed to the fleet's workers

[incremental]
enabled = true              # revalidate against the last complete run: unchanged pages are carried over and their
                            # accessibility results reused (siteaudit audit --full reuses nothing)
max_age_days = 7            # a reused accessibility result is never older than this; then the page is retested

[uptime]
# urls = ["https://www.example.gov.tw/"]   # default: the first start URL
# keyword = ""              # default: site.agency; every probed page must contain it
# tries = 3                 # a failed URL is tried again...
# retry_wait = 60           # ...this many seconds apart
# min_size_ratio = 0.2      # a page under 20% of its usual size (median of its last 7 正常 probes) is 異常; 0: off
# allowed_redirect_hosts = []   # hosts besides the site's a probed URL may redirect to, e.g. ["sso.example.gov.tw"]
# on_failure_command = []   # e.g. ["/usr/local/bin/notify-duty"]
# smtp_host = ""            # e-mail on 異常: smtp_host, smtp_port, smtp_starttls, smtp_ssl, smtp_user,
# mail_from = ""            # smtp_password_env, mail_from, mail_to; a password goes only over STARTTLS
#                           # (the default with smtp_user) or smtp_ssl, unless smtp_allow_plain_password = true
# mail_to = []

[publish]                   # siteaudit publish: the public results page (更新(2)◎4) the agency hosts
# identifier = "313221200K" # the page's DC.Identifier and its three classification codes: needed to publish
# theme = "770"
# cake = "C21"
# service = "E41"
# update_rule = "本處網站資訊每月至少更新一次，依「網頁維護標準作業程序」辦理。"   # the rule the page states
# update_rule_en = ""       # the same in English (--lang en); default: the Chinese text
# frequency = "每日自動檢測"  # how often the site is audited, as the page states it (frequency_en for --lang en)
# search_help_url = ""      # default: the search-help page the essentials check found

[digest]                    # the nightly digest: one mail when an audit brought something new (SMTP of [uptime])
# mail_to = []              # recipients; empty: no digest
# always = false            # true: mail every night, even when nothing changed
# attach_report = true      # attach report.html; else link report_url
# report_url = ""           # where the nightly report.html is served
# urls_shown = 3            # first URLs listed for each kind of new or fixed finding

[evidence]                  # the run's web archive: evidence.wacz in the output folder (docs/evidence.md)
# warc = true               # capture every request and response of the crawl as WARC records
# max_bytes = 4294967296    # cap of a run's compressed records (0: none); reaching it is reported, never silent
# keep_runs = 30            # run-N.wacz files kept in the archive folder (and the earlier ones they refer to)
# dir = ""                  # the archive folder; default: "evidence" beside the SQLite store
# screenshots = 50          # accessibility findings whose element is shot from the archive (0: none)
# screenshot_bytes = 262144 # the most one screenshot may take (else JPEG, else half scale, else it is not kept)

[checks]
# enabled = ["links"]       # default: every check

[checks.links]
# ignore = ["^https://www\\\\.facebook\\\\.com/"]   # targets not judged
# accepted_codes = { "www.example.com" = [403] }  # answers that count as valid for a host
# external = true
# max_redirects = 5
# title_consistency = true

[checks.essentials]          # site essentials, the site search as tried, HTTPS (docs/checks/essentials.md)
# search_query = "水"         # a query with many results (paging, count, sort controls are read on its page)
# absurd_query = "zzqx不存在的查詢詞9471"   # a query that cannot match: its page must give advice
# max_queries = 6           # search requests in all, over every search form of the home page and site map,
#                           # spaced as the crawl spaces its requests; a script-only search is tried in Chromium
#                           # (the browser of [checks.accessibility])

[checks.publication]        # this year's 執行計畫, the update rule, the published test results (docs/checks/publication.md)
# plan_texts = []           # words naming the plan, added to 提升服務品質執行計畫, 服務品質執行計畫…
# rule_texts = []           # words naming the update rule, added to 定期更新, 更新頻率, 標準作業程序, 網頁維護…
# results_texts = []        # words naming the results page, added to 網站檢測結果, 連結檢測, 內容檢查結果…
# catalogue_texts = {}      # {category: [words]} added to each listing's words; categories: services,
#                           # activities, faq, promotion, publications (盤點(1) 資訊目錄)
# max_listing_pages = 20    # pages of one listing followed through its own paging links
# max_age_days = 31         # the published test results are at most this old
# today = ""                # judge as of this ISO date (default: today in site.timezone)

[checks.opendata]           # 盤點(2) open data in open formats (docs/checks/opendata.md)
# page_texts = []           # words naming the open-data page, added to 開放資料專區, 資料開放, Open Data…
# platform_hosts = ["data.gov.tw"]   # the national data platform: its dataset links count as datasets
# max_age_days = 365        # each dataset updated at least this often
# today = ""                # judge as of this ISO date (default: today in site.timezone)

[checks.services]           # 貳、二(一) online services, 二(二) e-participation (docs/checks/services.md)
# services = {}             # {apply, pay, booking, query, notice = "required" | "recommended" | "off"}
# channels = {}             # {mailbox, survey, hotline, social = "required" | "recommended" | "off"}
# service_texts = {}        # {service: [words]} added to its link words (線上申辦, 網路繳費…)
# channel_texts = {}        # {channel: [words or URL parts]}, e.g. { social = ["https://www.water.gov.tw/"] }
# foreign_language = "required"      # a foreign-language version: required | recommended | off
# min_channels = 3          # working kinds of e-participation channel
'''
