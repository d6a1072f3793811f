"""The Scrapy project of siteaudit: the `site` spider and the components it needs."""
