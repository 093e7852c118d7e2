-- Every delivery report counts the page's disabled subscribers of each channel. Without an
-- index of its own, SQLite reads every subscriber of the channel to look at its state: with
-- 100,000 subscribers, a report polled while a fan-out runs took a third of the server's CPU.
CREATE INDEX subscribers_disabled ON subscribers (page_id, channel) WHERE state = 'disabled';
