// GitHub API adapters (filled by the await-approval work).
