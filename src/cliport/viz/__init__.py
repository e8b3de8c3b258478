"""Pictures and videos: affordance maps, episode pages, task gallery, results plots. Nothing imports viz."""
