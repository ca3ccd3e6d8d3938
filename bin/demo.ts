#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { applyCompliancePacks } from './compliance';
import { DemoStack } from './demo-stack';

const app = new App();
new DemoStack(app, 'ServerlessRdsDemo');
applyCompliancePacks(app);
