# the agent
